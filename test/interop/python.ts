import { spawn } from "node:child_process";

/** Debian's interpreter: the only one that sees Ganeti's python3-* dependencies. */
export const GANETI_PYTHON = "/usr/bin/python3";

/**
 * Run one Python script with Debian's interpreter, `input` on its stdin, and return its stdout. A clean,
 * fixed environment (PYTHONHASHSEED=0: Ganeti joins some sets), plus `env`.
 */
export function runPythonScript(
  script: string,
  input: string,
  env: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(GANETI_PYTHON, [script], {
      env: {
        PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
        PYTHONHASHSEED: "0",
        PYTHONDONTWRITEBYTECODE: "1",
        LC_ALL: "C.UTF-8",
        ...env,
      },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", reject);
    child.on("close", (code, signal) => {
      if (code === 0) return resolve(Buffer.concat(out).toString("utf8"));
      const why = signal === null ? `exit code ${String(code)}` : `signal ${signal}`;
      reject(new Error(`${script} failed (${why}): ${Buffer.concat(err).toString("utf8")}`));
    });
    child.stdin.end(input);
  });
}
