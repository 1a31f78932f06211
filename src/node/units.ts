// Ganeti's ParseUnit and FormatUnit (lib/utils/text.py): sizes are whole MiB, rounded up to a multiple of 4
// on input, printed with Python's "%0.Nf" (round half to even on the exact binary value) on output.
import { GuestosError } from "../errors.js";
import { pyStrRepr } from "../env/pyrepr.js";
import { pyIsSpace } from "../osdef/pycompat.js";
import { pyDecimalValue } from "../osdef/pyint.js";

/** The units FormatUnit takes: automatic, MiB, GiB, TiB. */
export type SizeUnit = "h" | "m" | "g" | "t";

const MULTIPLIER: Record<string, number> = {
  m: 1,
  mb: 1,
  mib: 1,
  g: 1024,
  gb: 1024,
  gib: 1024,
  t: 1024 * 1024,
  tb: 1024 * 1024,
  tib: 1024 * 1024,
};

const isAsciiLetter = (c: string): boolean => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z");

/**
 * Ganeti's _PARSEUNIT_REGEX, `^([.\d]+)\s*([a-zA-Z]+)?$`, with Python 3's str semantics: \d is any Unicode
 * decimal digit, \s any Python whitespace, and `$` also matches before one final "\n".
 */
function matchUnit(s: string): { number: string; unit: string } | null {
  const chars = [...s];
  let end = chars.length;
  if (chars[end - 1] === "\n") {
    const m = scan(chars, chars.length);
    if (m) return m;
    end--;
  }
  return scan(chars, end);
}

function scan(chars: string[], end: number): { number: string; unit: string } | null {
  let i = 0;
  let number = "";
  while (i < end && (chars[i] === "." || pyDecimalValue(chars[i]!.codePointAt(0)!) >= 0))
    number += chars[i++];
  if (number === "") return null;
  while (i < end && pyIsSpace(chars[i]!)) i++;
  let unit = "";
  while (i < end && isAsciiLetter(chars[i]!)) unit += chars[i++];
  return i === end ? { number, unit } : null;
}

/** Python's float() of a string of digits and dots; null where Python raises ValueError. */
function floatOfDigits(text: string): number | null {
  let ascii = "";
  for (const ch of text) ascii += ch === "." ? "." : String(pyDecimalValue(ch.codePointAt(0)!));
  if (!/^(\d+\.?\d*|\.\d+)$/.test(ascii)) return null;
  return Number(ascii);
}

/**
 * Ganeti's ParseUnit: a size in MiB, rounded up to an integer and then up to a multiple of 4. Errors are
 * Ganeti's UnitParseError texts (`Invalid format`, `Unknown unit: k`); where Ganeti crashes instead (a
 * ValueError from float(), an OverflowError for an infinite value), the message is Python's exception text.
 */
export function parseUnit(input: string): number {
  const m = matchUnit(input);
  if (!m) throw new GuestosError("BAD_UNIT", "Invalid format");
  let value = floatOfDigits(m.number);
  if (value === null) {
    throw new GuestosError("BAD_UNIT", `could not convert string to float: ${pyStrRepr(m.number)}`);
  }
  const unit = m.unit === "" ? "m" : m.unit.toLowerCase();
  const multiplier = MULTIPLIER[unit];
  if (multiplier === undefined) throw new GuestosError("BAD_UNIT", `Unknown unit: ${m.unit}`);
  value *= multiplier;
  if (!Number.isFinite(value)) {
    throw new GuestosError("BAD_UNIT", "cannot convert float infinity to integer");
  }
  // Above 2**53 every double is already an even integer, so these steps stay exact as in Python.
  value = Math.ceil(value);
  if (value % 4 !== 0) value += 4 - (value % 4);
  return value;
}

/** True when `err` came from float() failing in parseUnit (Ganeti raises ValueError, not UnitParseError). */
export function isUnitValueError(err: unknown): boolean {
  return (
    err instanceof GuestosError && err.code === "BAD_UNIT" && err.message.startsWith("could not convert")
  );
}

/** Python's `"%.<digits>f" % x`: exact decimal rounding, ties to even, `-0.0`, `nan`, `inf`. */
export function pyFormatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const negative = x < 0 || Object.is(x, -0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const bits = view.getBigUint64(0);
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  // x = mantissa * 2**exponent exactly.
  const mantissa = exponentBits === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075;
  const scaled = mantissa * 10n ** BigInt(digits);
  let q: bigint;
  if (exponent >= 0) {
    q = scaled << BigInt(exponent);
  } else {
    const den = 1n << BigInt(-exponent);
    q = scaled / den;
    const twice = (scaled % den) * 2n;
    if (twice > den || (twice === den && q % 2n === 1n)) q += 1n;
  }
  let text = q.toString().padStart(digits + 1, "0");
  if (digits > 0) text = `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return (negative ? "-" : "") + text;
}

/**
 * Ganeti's FormatUnit (roman numerals off): `h` picks M (no decimals), G or T (one decimal) with the suffix;
 * `m` is the plain integer, `g` and `t` one decimal without a suffix.
 */
export function formatUnit(mib: number, unit: SizeUnit): string {
  if (unit === "m" || (unit === "h" && mib < 1024)) {
    return pyFormatFixed(mib, 0) + (unit === "h" ? "M" : "");
  }
  if (unit === "g" || (unit === "h" && mib < 1024 * 1024)) {
    return pyFormatFixed(mib / 1024, 1) + (unit === "h" ? "G" : "");
  }
  return pyFormatFixed(mib / 1024 / 1024, 1) + (unit === "h" ? "T" : "");
}
