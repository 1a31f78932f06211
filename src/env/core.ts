import type { OsDefinition } from "../osdef/types.js";
import { envVarName, setKey } from "./params.js";
// names.js, not the osdef index: osdef/validate imports env, and the index would close a cycle.
import { splitNameVariant } from "../osdef/names.js";

/** HOOKS_PATH: the PATH every OS script gets. */
export const SCRIPT_PATH = "/sbin:/bin:/usr/sbin:/usr/bin";

/** OS_VARIANT: the name's variant, else the first listed one; "" below API 15 or without variants.list. */
export function osVariant(fullOsName: string, os: OsDefinition): string {
  if (os.apiVersion < 15 || os.variants.length === 0) return "";
  return splitNameVariant(fullOsName).variant || (os.variants[0] ?? "");
}

/** Ganeti's OSCoreEnv: OS_API_VERSION, OS_NAME, DEBUG_LEVEL, OS_VARIANT, OSP_*, PATH, in that order. */
export function coreEnv(
  fullOsName: string,
  os: OsDefinition,
  opts: { osparams: Record<string, string>; debugLevel: number },
): Record<string, string> {
  const env: Record<string, string> = {
    OS_API_VERSION: String(Math.trunc(os.apiVersion)),
    OS_NAME: os.name,
    DEBUG_LEVEL: String(Math.trunc(opts.debugLevel)),
    OS_VARIANT: osVariant(fullOsName, os),
  };
  // Two names can map to one variable ("a-b", "a_b"): like Python, the first keeps its place, the last wins.
  for (const [name, value] of Object.entries(opts.osparams)) setKey(env, envVarName(name), value);
  env.PATH = SCRIPT_PATH;
  return env;
}
