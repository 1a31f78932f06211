// The environment of each OS script: the instance spec, parameter merging and Python-style rendering.
export { parseInstanceSpec } from "./parse.js";
export { pyStr, pyFloat } from "./pyrepr.js";
export { osParamsFor, envVarName, type ScriptKind } from "./params.js";
export { coreEnv } from "./core.js";
export { scriptEnv } from "./script.js";
export type { InstanceSpec, InstanceSpecInput, DiskSpec, NicSpec, NetworkSpec, HvValue } from "./spec.js";
export { isValidHostname } from "./hostname.js";
