// Ganeti's parameter dict handling: ForceDictType (utils/__init__.py), FillDict and UpgradeBeParams
// (objects.py), GetUpdatedParams (cmdlib/common.py). Values arrive as the key=value parser leaves them
// (strings, true for a bare key, false for no_key, null for -key) or as stored ParamValues.
import { GuestosError } from "../errors.js";
import { pyStr } from "../env/pyrepr.js";
import { parseUnit } from "./units.js";
import { pyIsSpace } from "../osdef/pycompat.js";
import { pyDecimalValue, pyInt } from "../osdef/pyint.js";
import type { ParamDict, ParamValue } from "./types.js";

/** Ganeti's constants.VALUE_DEFAULT: on modify, the value that removes the instance's own setting. */
export const VALUE_DEFAULT = "default";

/** Options of enforceTypes. */
export interface EnforceOptions {
  /** Values accepted as they are whatever the type (Ganeti's allowed_values, e.g. ["default"] on modify). */
  allowedValues?: readonly ParamValue[];
  /** What the parameters are ("backend", "NIC"): names the known keys in the hint of an unknown key. */
  what?: string;
}

/** Set an own, enumerable property (plain assignment of "__proto__" would change the prototype instead). */
export function setParam(dict: ParamDict, key: string, value: ParamValue): void {
  Object.defineProperty(dict, key, { value, enumerable: true, writable: true, configurable: true });
}

const typeError = (key: string, value: ParamValue, what: string): GuestosError =>
  new GuestosError("PARAM_TYPE", `'${key}' (value ${pyStr(value)}) is not a valid ${what}`);

/** Python's bool(value) for the values a parameter can hold (NaN is true in Python). */
function pyTruthy(value: ParamValue): boolean {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && value !== false && value !== "" && value !== 0;
}

/** Python's int(value): null where Python raises ValueError or TypeError (or OverflowError for inf). */
function pyIntOf(key: string, value: ParamValue): number | null {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return Number.isFinite(value) ? Math.trunc(value) + 0 : null;
  if (typeof value !== "string") return null;
  const parsed = pyInt(value);
  if (!parsed.ok) return null;
  const n = Number(parsed.value);
  if (!Number.isSafeInteger(n)) {
    throw new GuestosError(
      "PARAM_TYPE",
      `Cannot set "${key}" to ${value}: integers beyond ±${Number.MAX_SAFE_INTEGER} are not supported`,
    );
  }
  return n;
}

const FLOAT_TEXT = /^[+-]?(?:(?:\d(?:_?\d)*)?\.\d(?:_?\d)*|\d(?:_?\d)*\.?)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const FLOAT_SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;

/** Python's float(value): null where Python raises. */
function pyFloatOf(value: ParamValue): number | null {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number") return value;
  if (typeof value !== "string") return null;
  // CPython maps Unicode digits to ASCII and strips Python whitespace before parsing.
  let t = "";
  for (const ch of value) {
    const d = pyDecimalValue(ch.codePointAt(0)!);
    t += d >= 0 ? String(d) : pyIsSpace(ch) ? " " : ch;
  }
  t = t.replace(/^ +| +$/g, "");
  if (FLOAT_SPECIAL.test(t)) {
    const negative = t.startsWith("-");
    if (/nan$/i.test(t)) return NaN;
    return negative ? -Infinity : Infinity;
  }
  return FLOAT_TEXT.test(t) ? Number(t.replaceAll("_", "")) : null;
}

function convert(key: string, value: ParamValue, type: string): ParamValue {
  switch (type) {
    case "string":
    case "maybe-string":
      if (value === null && type === "maybe-string") return null;
      if (typeof value === "string") return value;
      if (value === false) return "";
      throw typeError(key, value, "string");
    case "bool":
      if (typeof value === "string" && value !== "") {
        const lower = value.toLowerCase();
        if (lower === "false") return false;
        if (lower === "true") return true;
        throw typeError(key, value, "boolean");
      }
      return pyTruthy(value);
    case "size":
      try {
        return parseUnit(pyStr(value));
      } catch (err) {
        throw new GuestosError(
          "PARAM_TYPE",
          `'${key}' (value ${pyStr(value)}) is not a valid size. error: ${(err as Error).message}`,
          { cause: err },
        );
      }
    case "int": {
      const n = pyIntOf(key, value);
      if (n === null) throw typeError(key, value, "integer");
      return n;
    }
    case "float": {
      const f = pyFloatOf(value);
      if (f === null) throw typeError(key, value, "float");
      return f;
    }
    default:
      throw new GuestosError("INTERNAL", `'${key}' has non-enforceable type ${type}`);
  }
}

/**
 * Ganeti's ForceDictType: every key must be in `types` (`Unknown parameter 'x'`, code PARAM_UNKNOWN) and every
 * value is converted to its type or rejected with Ganeti's text (code PARAM_TYPE), keys checked in order.
 * Returns a new dict; the input is not changed.
 */
export function enforceTypes(
  dict: Readonly<Record<string, ParamValue>> | ParamValue,
  types: Readonly<Record<string, string>>,
  opts: EnforceOptions = {},
): ParamDict {
  if (dict === null || typeof dict !== "object" || Array.isArray(dict)) {
    throw new GuestosError("PARAM_TYPE", `Expected dictionary, got '${pyStr(dict)}'`);
  }
  const allowed = opts.allowedValues ?? [];
  const out: ParamDict = {};
  for (const [key, value] of Object.entries(dict)) {
    if (!Object.hasOwn(types, key)) {
      const hint =
        opts.what === undefined
          ? undefined
          : `known ${opts.what} parameters: ${Object.keys(types).sort().join(", ")}`;
      throw new GuestosError("PARAM_UNKNOWN", `Unknown parameter '${key}'`, hint ? { hint } : {});
    }
    setParam(out, key, allowed.includes(value) ? value : convert(key, value, types[key]!));
  }
  return out;
}

const copyValue = <V extends ParamValue>(v: V): V => (Array.isArray(v) ? (structuredClone(v) as V) : v);

/** Ganeti's FillDict: a deep copy of `defaults` updated with `own`, without `skipKeys`. */
export function fillParams(
  defaults: Readonly<Record<string, ParamValue>>,
  own: Readonly<Record<string, ParamValue>>,
  skipKeys: readonly string[] = [],
): ParamDict {
  const out: ParamDict = {};
  for (const [k, v] of Object.entries(defaults)) setParam(out, k, copyValue(v));
  for (const [k, v] of Object.entries(own)) setParam(out, k, copyValue(v));
  for (const k of skipKeys) delete out[k];
  return out;
}

/**
 * Ganeti's GetUpdatedParams, used by modify: `own` updated with `changes`, where a change whose value is
 * exactly "default" (and, with `useNone`, null) removes the key so the default applies again. The CLI has
 * already lower-cased `DEFAULT` for -B/-H (normalizeDefaults); -O values are compared as given.
 */
export function updateParams<V extends ParamValue>(
  own: Readonly<Record<string, V>>,
  changes: Readonly<Record<string, V>>,
  opts: { useNone?: boolean } = {},
): Record<string, V> {
  const out: Record<string, V> = {};
  for (const [k, v] of Object.entries(own)) setParam(out, k, copyValue(v));
  for (const [k, v] of Object.entries(changes)) {
    if (v === VALUE_DEFAULT || (opts.useNone === true && v === null)) delete out[k];
    else setParam(out, k, v);
  }
  return out;
}

/** What gnt-instance modify does to -B and -H before typing them: any case of "default" becomes "default". */
export function normalizeDefaults(dict: Readonly<Record<string, ParamValue>>): ParamDict {
  const out: ParamDict = {};
  for (const [k, v] of Object.entries(dict)) {
    setParam(out, k, typeof v === "string" && v.toLowerCase() === VALUE_DEFAULT ? VALUE_DEFAULT : v);
  }
  return out;
}

/** Ganeti's UpgradeBeParams: `memory` sets both `maxmem` and `minmem` and is dropped. */
export function upgradeBeParams(dict: Readonly<Record<string, ParamValue>>): ParamDict {
  const out: ParamDict = {};
  for (const [k, v] of Object.entries(dict)) setParam(out, k, v);
  if (!Object.hasOwn(out, "memory")) return out;
  const memory = out.memory!;
  out.maxmem = memory;
  out.minmem = memory;
  delete out.memory;
  return out;
}
