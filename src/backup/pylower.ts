// Python 3.11's str.lower() is ConfigParser's optionxform: it decides which option names are the same.
// Node's case tables are newer (Unicode 17) than Python 3.11's (Unicode 14) and lower-case 55 characters
// that Python leaves alone; the list was computed by comparing every code point under /usr/bin/python3
// 3.11.2 and Node 20.20 (ICU 78). Everything else, including the final-sigma rule, agrees.

/** Code points Node lower-cases but Python 3.11 does not (assigned or cased after Unicode 14). */
const KEEP_RANGES: readonly (readonly [number, number])[] = [
  [0x1c89, 0x1c89],
  [0xa7cb, 0xa7cc],
  [0xa7ce, 0xa7ce],
  [0xa7d2, 0xa7d2],
  [0xa7d4, 0xa7d4],
  [0xa7da, 0xa7da],
  [0xa7dc, 0xa7dc],
  [0x10d50, 0x10d65],
  [0x16ea0, 0x16eb8],
];

const hex = (cp: number): string => `\\u{${cp.toString(16)}}`;
const KEEP = new RegExp(
  `[${KEEP_RANGES.map(([a, b]) => (a === b ? hex(a) : `${hex(a)}-${hex(b)}`)).join("")}]`,
  "u",
);
const KEEP_SPLIT = new RegExp(`(${KEEP.source})`, "u");

/** Python 3.11's str.lower(). */
export function pyLower(s: string): string {
  // Fast path: ASCII and most text never meets the newer characters.
  if (!KEEP.test(s)) return s.toLowerCase();
  return s
    .split(KEEP_SPLIT)
    .map((part, i) => (i % 2 === 1 ? part : part.toLowerCase()))
    .join("");
}
