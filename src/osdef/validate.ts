// Ganeti's ValidateOS(required=True, osname, ["parameters"], osparams, force_variant), node side.
import { GuestosError } from "../errors.js";
import { findOs } from "./catalog.js";
import { niceSort } from "./nicesort.js";
import type { OsDefinition } from "./types.js";
import { checkVariant } from "./variant.js";

/** Ganeti's _CheckOSPList: every name must be declared in parameters.list; throws OS_PARAMETERS otherwise. */
export function checkParameters(os: OsDefinition, names: string[]): void {
  const declared = new Set(os.parameters.map((p) => p.name));
  const unknown = [...new Set(names)].filter((n) => !declared.has(n));
  if (unknown.length === 0) return;
  // Ganeti joins a frozenset (hash order, different per process); sorted names keep the message stable.
  throw new GuestosError(
    "OS_PARAMETERS",
    `The following parameters are not supported by the OS ${os.name}: ${niceSort(unknown).join(", ")}`,
  );
}

/**
 * Ganeti's ValidateOS with the "parameters" check: find the OS, check the variant (unless forced), and for a
 * declared API of 20 or more check the parameter names and run `verify parameters` with the core environment.
 */
export async function validateOs(
  full: string,
  opts: {
    searchPath: string[];
    osparams: Record<string, string>;
    forceVariant?: boolean;
    timeoutMs?: number;
  },
): Promise<OsDefinition> {
  const os = await findOs(full, opts.searchPath);
  if (opts.forceVariant !== true) checkVariant(os, full);
  // Below API 20 Ganeti accepts any parameters without asking the OS.
  if (os.declaredMax < 20) return os;
  checkParameters(os, Object.keys(opts.osparams));
  // Loaded on first use: listing OSes must not pay for the environment and runner modules. core.js, not
  // the env index, which loads zod for parseInstanceSpec.
  const [{ coreEnv }, { runScript, verifyFailureMessage }] = await Promise.all([
    import("../env/core.js"),
    import("../run/index.js"),
  ]);
  const result = await runScript({
    argv: [os.scripts.verify!, "parameters"],
    cwd: os.path,
    env: coreEnv(full, os, { osparams: opts.osparams, debugLevel: 0 }),
    stdin: "eof",
    capture: true,
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
  });
  if (result.failed) {
    throw new GuestosError("OS_VERIFY_FAILED", verifyFailureMessage(result.failReason ?? "", result.output));
  }
  return os;
}
