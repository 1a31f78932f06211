import { pyStr } from "../env/pyrepr.js";
import { codePointCompare } from "./genericinfo.js";

/** JSON-ish values as Python's str() shows them, dict keys sorted as the (Haskell) query daemon sends them. */
export function pyText(value: unknown): string {
  return pyStr(sortKeys(value) as Parameters<typeof pyStr>[0]);
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort(codePointCompare)) out[k] = sortKeys(obj[k]);
  return out;
}
