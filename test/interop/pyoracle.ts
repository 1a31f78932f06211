import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";
import { requireDeps } from "./deps.js";
import { GANETI_PYTHON, runPythonScript } from "./python.js";

/**
 * Batch oracles in Python besides oracle.py: configparser_oracle.py (Debian's Python only) and
 * export_oracle.py (Ganeti 3.0's export code). One process answers a whole batch.
 */

const ORACLE_DIR = join(dirname(fileURLToPath(import.meta.url)), "oracle");

/** True when Debian's Python runs here (fails on CI without it, skips elsewhere). */
export function requirePython(t: TestContext): boolean {
  return requireDeps(t, [{ path: GANETI_PYTHON, pkg: "python3" }]);
}

/** Send `requests` to oracle/<script> and return its answers, in order. */
export async function askPython<A>(script: string, requests: readonly unknown[]): Promise<A[]> {
  const text = await runPythonScript(join(ORACLE_DIR, script), JSON.stringify(requests));
  const answers = JSON.parse(text) as (A & { error?: string })[];
  if (answers.length !== requests.length) {
    throw new Error(`${script} gave ${answers.length} answers to ${requests.length} requests`);
  }
  const broken = answers.findIndex((a) => a.error !== undefined);
  if (broken >= 0) throw new Error(`${script} failed on request ${broken}: ${answers[broken]!.error}`);
  return answers;
}
