import { spawn, type StdioOptions } from "node:child_process";
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The built CLI (npm test builds before testing). */
export const CLI = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..", "dist", "bin", "main.js");

/** Result of one CLI run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `guestos ARGS` as a child process; stdin/stdout may be fds (disk streams) instead of pipes. */
export function guestos(
  args: string[],
  opts: { stdin?: number; stdout?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  const stdio: StdioOptions = [opts.stdin ?? "ignore", opts.stdout ?? "pipe", "pipe"];
  const child = spawn(process.execPath, [CLI, ...args], { stdio, env: opts.env ?? process.env });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
