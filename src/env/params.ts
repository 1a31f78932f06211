import { pyUpper } from "./pyrepr.js";
import type { InstanceSpec } from "./spec.js";

/** The scripts guestos builds an environment for; "reinstall" is the create script run again. */
export type ScriptKind = "create" | "reinstall" | "rename" | "import" | "export" | "verify";

/** Sets `key` like Python's dict assignment: an existing key keeps its place, `__proto__` is a plain key. */
export function setKey(target: Record<string, string>, key: string, value: string): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Ganeti's objects.FillDict: a copy of `base` updated with `over`, keeping Python's key order. */
export function fillDict(base: Record<string, string>, over: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) setKey(out, k, v);
  for (const [k, v] of Object.entries(over)) setKey(out, k, v);
  return out;
}

/** The environment name of an OS parameter: `"OSP_" + name.upper()` with `-` mapped to `_`. */
export function envVarName(param: string): string {
  return `OSP_${pyUpper(param).replaceAll("-", "_")}`;
}

/**
 * The OS parameters a script sees (spec §4.3). create, reinstall and verify: public, then secret, then
 * private wins (the node's FillDict(public+secret, private)); rename, import and export carry no secrets.
 */
export function osParamsFor(kind: ScriptKind, spec: InstanceSpec): Record<string, string> {
  const withSecret = kind === "create" || kind === "reinstall" || kind === "verify";
  const base = withSecret ? fillDict(spec.osparams, spec.osparamsSecret) : spec.osparams;
  return fillDict(base, spec.osparamsPrivate);
}
