import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OsDefinition, OsVerdict } from "../../src/osdef/index.js";
import type { OracleDiagnoseEntry, OracleOs } from "./ganeti.js";

/**
 * The documented adjustments between guestos and Ganeti, in one place. Everything not adjusted here must
 * be equal.
 */

/**
 * Ganeti's parameters.list entries minus the ones guestos ignores by design (design.md, Decisions): a blank
 * or whitespace-only line (Ganeti: `[]`, which later crashes ValidateOS) and a line whose first token starts
 * with "#" (Ganeti: a parameter named "#..."). Every other entry must match exactly.
 */
export function withoutIgnoredParameterLines(params: string[][]): string[][] {
  return params.filter((p) => p.length > 0 && !p[0]!.startsWith("#"));
}

/** One parameters.list entry the way Ganeti's `split(None, 1)` gives it: `[name]` when there is no help. */
function asGanetiParameter(p: { name: string; description: string }): string[] {
  return p.description === "" ? [p.name] : [p.name, p.description];
}

/** Our verdict as DiagnoseOS's tuple (invalid entries carry Ganeti's empty lists and trusted=True). */
export function verdictAsTuple(v: OsVerdict): OracleDiagnoseEntry {
  if (!v.valid) {
    return {
      name: v.name,
      path: v.path,
      valid: false,
      diagnose: v.message,
      variants: [],
      parameters: [],
      api_versions: [],
      trusted: true,
    };
  }
  return {
    name: v.name,
    path: v.path,
    valid: true,
    diagnose: "",
    variants: v.os.variants,
    parameters: v.os.parameters.map(asGanetiParameter),
    api_versions: v.os.apiVersions,
    trusted: v.os.trusted,
  };
}

/** Ganeti's DiagnoseOS tuple with the documented parameters.list adjustment applied. */
export function adjustedTuple(g: OracleDiagnoseEntry): OracleDiagnoseEntry {
  return { ...g, parameters: withoutIgnoredParameterLines(g.parameters) };
}

/** Our OS definition in the shape of the oracle's _TryOSFromDisk answer. */
export function definitionAsOracle(os: OsDefinition): OracleOs {
  return {
    name: os.name,
    path: os.path,
    api_versions: os.apiVersions,
    variants: os.variants,
    parameters: os.parameters.map(asGanetiParameter),
    trusted: os.trusted,
    scripts: {
      create: os.scripts.create,
      create_untrusted: os.scripts.createUntrusted,
      export: os.scripts.export,
      import: os.scripts.import,
      rename: os.scripts.rename,
      verify: os.scripts.verify,
    },
  };
}

/** The oracle's _TryOSFromDisk answer with the documented parameters.list adjustment applied. */
export function adjustedOracleOs(o: OracleOs): OracleOs {
  return { ...o, parameters: withoutIgnoredParameterLines(o.parameters) };
}

const TAGS = /^NIC_\d+_NETWORK_TAGS$/;

/**
 * An env ready for comparison: NIC_<n>_NETWORK_TAGS sorted (Ganeti joins a Python set: its order is the
 * hash seed's), and, for import/export, LC_ALL removed from ours (Ganeti adds it at run time, with the node
 * daemon's environment, so its OS env does not hold it). Key order is kept.
 */
export function comparableEnv(
  env: Record<string, string>,
  opts: { dropLcAll?: boolean } = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (opts.dropLcAll === true && k === "LC_ALL") continue;
    out[k] = TAGS.test(k) ? v.split(" ").sort().join(" ") : v;
  }
  return out;
}

/** A fresh temp dir for one test file, and its removal. */
export async function makeTempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `guestos-${prefix}-`));
}

/** Remove a temp dir made by makeTempDir. */
export async function removeTempDir(dir: string | undefined): Promise<void> {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
}

/** A test name for a directory entry name that may hold control characters. */
export function caseLabel(name: string): string {
  return /^[\x20-\x7e]+$/.test(name) ? name : JSON.stringify(name);
}
