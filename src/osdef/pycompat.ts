// Python 3 str semantics that Ganeti's parsing relies on. JavaScript's \s, trim() and split("\n") disagree
// with Python on \x1c-\x1f, \x85, \ufeff and the line separators, and Ganeti's verdicts depend on them.

/** Code points for which Python's str.isspace() is true (Py_UNICODE_ISSPACE; unchanged since Unicode 6.3). */
const PY_SPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002,
  0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

// Every Python whitespace code point is in the BMP, so testing one UTF-16 unit is exact.
const isSpaceUnit = (unit: number): boolean =>
  unit <= 0x20 ? unit === 0x20 || (unit >= 0x09 && unit <= 0x0d) || unit >= 0x1c : PY_SPACE.has(unit);

/** Python's str.isspace() for a single character (one code point). */
export function pyIsSpace(ch: string): boolean {
  return ch.length === 1 && isSpaceUnit(ch.charCodeAt(0));
}

/** Python's str.strip() with no argument. */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isSpaceUnit(s.charCodeAt(start))) start++;
  while (end > start && isSpaceUnit(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

// str.splitlines() boundaries: \n \r \r\n \v \f \x1c \x1d \x1e \x85 \u2028 \u2029 (not \x1f).
// eslint-disable-next-line no-control-regex -- Python's line boundaries include the \x1c-\x1e separators.
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/;

/** Python's str.splitlines() (no keepends): no trailing empty element for a final line break. */
export function pySplitlines(s: string): string[] {
  if (s === "") return [];
  const lines = s.split(LINE_BREAK);
  // A final break leaves one empty string behind, which Python does not report.
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** Python's str.split(None, 1): first whitespace-separated token and the rest (leading blanks removed, trailing kept). */
export function pySplitOnce(s: string): string[] {
  let i = 0;
  const n = s.length;
  while (i < n && isSpaceUnit(s.charCodeAt(i))) i++;
  if (i === n) return [];
  let j = i;
  while (j < n && !isSpaceUnit(s.charCodeAt(j))) j++;
  const first = s.slice(i, j);
  while (j < n && isSpaceUnit(s.charCodeAt(j))) j++;
  return j === n ? [first] : [first, s.slice(j)];
}

/** The first `max` code points of `s` (Python's "%.<max>R" precision counts code points, not UTF-16 units). */
export function pyTruncate(s: string, max: number): string {
  if (s.length <= max) return s;
  let count = 0;
  let i = 0;
  while (i < s.length && count < max) {
    i += s.codePointAt(i)! > 0xffff ? 2 : 1;
    count++;
  }
  return s.slice(0, i);
}

/** Python's str < str: code point order (UTF-16 order differs once astral characters meet U+E000-U+FFFF). */
export function pyCompare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const cx = a.codePointAt(i)!;
      const cy = b.codePointAt(i)!;
      // Only a surrogate (astral character) against U+E000-U+FFFF inverts UTF-16 order.
      return cx < cy ? -1 : cx > cy ? 1 : 0;
    }
  }
  return a.length - b.length;
}
