// Python 3.11's int(str) in base 10, including its error texts, because Ganeti copies str(ValueError) into the
// "API version(s) can't be converted to integer" verdict.
// Python 3.11's exact repr (its Unicode 14 tables, not Node's newer ones) lives with the environment code.
import { pyStrRepr } from "../env/pyrepr.js";
import { pyIsSpace, pyTruncate } from "./pycompat.js";

/**
 * First code point of every run of ten Unicode decimal digits (0-9) in Python 3.11's tables (Unicode 14),
 * from `unicodedata.decimal`. Fixed here because Node's newer tables know digits Python rejects.
 */
const DIGIT_ZEROS = [
  0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50,
  0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40,
  0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0,
  0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0, 0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50,
  0x11da0, 0x16a60, 0x16ac0, 0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950,
  0x1fbf0,
];

/** The value (0-9) of a Unicode decimal digit as Python 3.11 sees it, or -1. */
export function pyDecimalValue(cp: number): number {
  if (cp >= 0x30 && cp <= 0x39) return cp - 0x30;
  if (cp < 0x660) return -1;
  let lo = 0;
  let hi = DIGIT_ZEROS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (DIGIT_ZEROS[mid]! <= cp) lo = mid;
    else hi = mid - 1;
  }
  const d = cp - DIGIT_ZEROS[lo]!;
  return d >= 0 && d <= 9 ? d : -1;
}

/** sys.get_int_max_str_digits() default. */
const MAX_STR_DIGITS = 4300;

const isAsciiSpace = (ch: string): boolean => ch === " " || (ch >= "\t" && ch <= "\r");

/** Python's int(s) (base 10): the value, or the exact text of the ValueError Python raises. */
export function pyInt(s: string): { ok: true; value: bigint } | { ok: false; message: string } {
  // CPython first maps Unicode spaces to " ", Unicode digits to ASCII and any other non-ASCII to "?".
  let t = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) t += ch;
    else if (pyIsSpace(ch)) t += " ";
    else {
      const d = pyDecimalValue(cp);
      t += d >= 0 ? String(d) : "?";
    }
  }
  const invalid = () => ({
    ok: false as const,
    message: `invalid literal for int() with base 10: ${pyTruncate(pyStrRepr(s), 200)}`,
  });
  // Then PyLong_FromString: blanks, one sign, digits with single underscores between them, blanks, end.
  let i = 0;
  while (i < t.length && isAsciiSpace(t[i]!)) i++;
  let negative = false;
  if (t[i] === "+" || t[i] === "-") negative = t[i++] === "-";
  if (t[i] === "_") return invalid();
  let digits = "";
  let prev = "";
  for (; i < t.length; i++) {
    const ch = t[i]!;
    if (ch === "_") {
      if (prev === "_") return invalid();
    } else if (ch >= "0" && ch <= "9") digits += ch;
    else break;
    prev = ch;
  }
  if (prev === "_") return invalid();
  // The digit limit is checked before anything after the digits is looked at.
  if (digits.length > MAX_STR_DIGITS) {
    return {
      ok: false,
      message:
        `Exceeds the limit (${MAX_STR_DIGITS} digits) for integer string conversion: value has ` +
        `${digits.length} digits; use sys.set_int_max_str_digits() to increase the limit`,
    };
  }
  if (digits === "") return invalid();
  while (i < t.length && isAsciiSpace(t[i]!)) i++;
  if (i < t.length) return invalid();
  const value = BigInt(digits);
  return { ok: true, value: negative ? -value : value };
}
