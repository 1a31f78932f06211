import { GuestosError } from "../errors.js";

/** Ganeti's UnescapeAndSplit: split on `sep` unless escaped by an odd run of backslashes, then unescape. */
export function unescapeAndSplit(text: string, sep = ","): string[] {
  const pending = text.split(sep);
  const out: string[] = [];
  while (pending.length > 0) {
    const e1 = pending.shift()!;
    const trailing = e1.length - e1.replace(/\\+$/, "").length;
    if (trailing % 2 === 1 && pending.length > 0) {
      pending.unshift(e1 + sep + pending.shift()!);
      continue;
    }
    out.push(e1);
  }
  // Python's re.sub(r"\\(.)", r"\1", v): "." is one code point and never "\n", so a backslash before a
  // newline stays.
  return out.map((v) => v.replace(/\\([^\n])/gu, "$1"));
}

export type KeyValValue = string | boolean | null;

/**
 * Ganeti's `key=val,...` option grammar (_SplitKeyVal). With `prefixes`, a bare `k` is true, `no_k` false and
 * `-k` null; without, a bare key is an error. Duplicate keys are an error.
 */
export function parseKeyVal(
  option: string,
  data: string,
  opts: { prefixes?: boolean } = {},
): Record<string, KeyValValue> {
  const result: Record<string, KeyValValue> = {};
  if (!data) return result;
  for (const elem of unescapeAndSplit(data)) {
    let key: string;
    let val: KeyValValue;
    const eq = elem.indexOf("=");
    if (eq >= 0) {
      key = elem.slice(0, eq);
      val = elem.slice(eq + 1);
    } else if (opts.prefixes) {
      if (elem.startsWith("no_")) [key, val] = [elem.slice(3), false];
      else if (elem.startsWith("-")) [key, val] = [elem.slice(1), null];
      else [key, val] = [elem, true];
    } else {
      throw new GuestosError("BAD_OPTION", `Missing value for key '${elem}' in option ${option}`);
    }
    if (Object.hasOwn(result, key)) {
      throw new GuestosError("BAD_OPTION", `Duplicate key '${key}' in option ${option}`);
    }
    // Not `result[key] = val`: for the key "__proto__" that sets the prototype and the parameter is lost.
    Object.defineProperty(result, key, { value: val, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

/** `key=val,...` where every value must be a string (OS parameters). */
export function parseStringKeyVal(option: string, data: string): Record<string, string> {
  return parseKeyVal(option, data) as Record<string, string>;
}
