import type { HvValue } from "./spec.js";
import { PY_HAS_UPPER, PY_NON_PRINTABLE } from "./pyunicode.js";

/*
 * Ganeti renders INSTANCE_HV_*, INSTANCE_BE_* and the instance times with Python 3's str(). These functions
 * reproduce it for values that came out of JSON, as if Python's json module had read JSON.stringify(value):
 * integral numbers below 1e21 are ints, everything else is a float.
 */

let nonPrintable: Uint32Array | undefined;
let hasUpper: Uint32Array | undefined;

function decodeRanges(lines: readonly string[]): Uint32Array {
  const tokens = lines.join(" ").split(" ");
  const out = new Uint32Array(tokens.length * 2);
  tokens.forEach((token, i) => {
    const [lo = "", hi = lo] = token.split("-");
    out[2 * i] = parseInt(lo, 16);
    out[2 * i + 1] = parseInt(hi, 16);
  });
  return out;
}

function inRanges(table: Uint32Array, cp: number): boolean {
  let lo = 0;
  let hi = table.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < table[2 * mid]!) hi = mid - 1;
    else if (cp > table[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Python 3.11's str.isprintable() for one code point (Unicode 14, not Node's newer tables). */
export function pyIsPrintable(cp: number): boolean {
  nonPrintable ??= decodeRanges(PY_NON_PRINTABLE);
  return !inRanges(nonPrintable, cp);
}

/** Python 3.11's str.upper(): full case mapping, but only for characters Unicode 14 gives an upper case. */
export function pyUpper(s: string): string {
  hasUpper ??= decodeRanges(PY_HAS_UPPER);
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out += cp < 0x80 ? ch.toUpperCase() : inRanges(hasUpper, cp) ? ch.toUpperCase() : ch;
  }
  return out;
}

/** Python repr() of a float: shortest round-trip digits, `1700000000.0`, `1.5e-05`, `1e+16`, `inf`, `nan`. */
export function pyFloat(n: number): string {
  if (Number.isNaN(n)) return "nan";
  if (n === Infinity) return "inf";
  if (n === -Infinity) return "-inf";
  if (n === 0) return Object.is(n, -0) ? "-0.0" : "0.0";
  const sign = n < 0 ? "-" : "";
  // toExponential() without an argument gives the shortest digits that round-trip, like Python's repr.
  const [mantissa = "", expText = ""] = Math.abs(n).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = String(Math.abs(exp)).padStart(2, "0");
    return `${sign}${m}e${exp < 0 ? "-" : "+"}${e}`;
  }
  if (exp < 0) return `${sign}0.${"0".repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${"0".repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function pyNumber(n: number): string {
  // JSON.stringify writes integral numbers below 1e21 as plain digits (String(n)), which Python reads as an int.
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? String(n) : pyFloat(n);
}

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, "0");
}

/** Python repr() of a str: quote choice, backslash escapes and non-printable escapes as CPython does. */
export function pyStrRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === quote || ch === "\\") out += `\\${ch}`;
    else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x7f || pyIsPrintable(cp)) out += ch;
    else if (cp <= 0xff) out += `\\x${hex(cp, 2)}`;
    else if (cp <= 0xffff) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + quote;
}

/** Python repr() of a JSON value (used for list and dict members). */
export function pyRepr(value: unknown): string {
  return typeof value === "string" ? pyStrRepr(value) : pyStr(value as HvValue);
}

/** Python 3 str() of a JSON value: True/False/None, ints, float repr, list and dict repr. */
export function pyStr(value: HvValue): string {
  const v: unknown = value;
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "True" : "False";
  if (v === null || v === undefined) return "None";
  if (typeof v === "number") return pyNumber(v);
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(", ")}]`;
  if (typeof v === "object") {
    // Caveat: JS objects list integer-like keys first, so such dicts may differ in order from Python's.
    const items = Object.entries(v as Record<string, unknown>).map(
      ([k, x]) => `${pyStrRepr(k)}: ${pyRepr(x)}`,
    );
    return `{${items.join(", ")}}`;
  }
  if (typeof v === "bigint") return v.toString();
  throw new TypeError(`pyStr: not a JSON value: ${typeof v}`);
}
