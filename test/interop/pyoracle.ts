import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";
import { requireDeps } from "./deps.js";
import { GANETI_PYTHON } from "./ganeti.js";

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
export function askPython<A>(script: string, requests: readonly unknown[]): Promise<A[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(GANETI_PYTHON, [join(ORACLE_DIR, script)], {
      env: {
        PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
        PYTHONHASHSEED: "0",
        PYTHONDONTWRITEBYTECODE: "1",
        LC_ALL: "C.UTF-8",
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) {
        reject(new Error(`${script} failed (exit ${String(code)}): ${Buffer.concat(err).toString("utf8")}`));
        return;
      }
      const answers = JSON.parse(Buffer.concat(out).toString("utf8")) as (A & { error?: string })[];
      if (answers.length !== requests.length) {
        reject(new Error(`${script} gave ${answers.length} answers to ${requests.length} requests`));
        return;
      }
      const broken = answers.findIndex((a) => a.error !== undefined);
      if (broken >= 0) reject(new Error(`${script} failed on request ${broken}: ${answers[broken]!.error}`));
      else resolve(answers);
    });
    child.stdin.end(JSON.stringify(requests));
  });
}
