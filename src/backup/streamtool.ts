import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { GuestosError } from "../errors.js";

/*
 * The system programs on the data path (zstd, cat, fallocate): found on PATH once, run without a shell
 * with fds for stdin/stdout and a clean environment (ZSTD_CLEVEL and friends must not change a dump), and
 * their stderr kept (bounded) for messages.
 */

const STDERR_KEEP = 4096;

/** The absolute path of `name` on `searchPath` (PATH syntax), or null. */
export function findTool(name: string, searchPath: string): string | null {
  for (const dir of searchPath.split(":")) {
    if (!dir || !path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The PATH searched for tools when the caller gives none. */
export function defaultToolPath(): string {
  return process.env.PATH || "/usr/local/bin:/usr/bin:/bin";
}

/** How a tool ended. */
export interface ToolExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last bytes of its stderr, trimmed. */
  stderr: string;
  /** True when we killed it. */
  killed: boolean;
}

/** A running tool. */
export interface Tool {
  pid: number;
  /** SIGKILL (our own helper: nothing to clean up). */
  kill(): void;
  /** /proc/<pid>/io rchar and wchar while it runs, null once gone. */
  io(): { rchar: number; wchar: number } | null;
  exited: Promise<ToolExit>;
}

/** Run `argv` (argv[0] absolute) with fd (or /dev/null) stdin and stdout. */
export function spawnTool(
  argv: string[],
  stdio: { stdin: number | "ignore"; stdout: number | "ignore" },
): Tool {
  const child = spawn(argv[0]!, argv.slice(1), {
    stdio: [stdio.stdin, stdio.stdout, "pipe"],
    env: { PATH: defaultToolPath(), LC_ALL: "C" },
    shell: false,
  });
  let killed = false;
  let stderr = Buffer.alloc(0);
  child.stderr!.on("data", (c: Buffer) => {
    stderr = Buffer.concat([stderr, c]);
    if (stderr.length > STDERR_KEEP) stderr = stderr.subarray(stderr.length - STDERR_KEEP);
  });
  const exited = new Promise<ToolExit>((resolve) => {
    child.once("error", (err) =>
      resolve({ code: 127, signal: null, stderr: `cannot run ${argv[0]}: ${err.message}`, killed }),
    );
    child.once("close", (code, signal) =>
      resolve({ code, signal, stderr: stderr.toString("utf8").trim(), killed }),
    );
  });
  const pid = child.pid ?? -1;
  return {
    pid,
    kill() {
      if (child.exitCode === null && child.signalCode === null) {
        killed = true;
        child.kill("SIGKILL");
      }
    },
    io: () => (child.exitCode === null && child.signalCode === null ? procIo(pid) : null),
    exited,
  };
}

/** rchar/wchar of a process from /proc/<pid>/io, null when unreadable. */
export function procIo(pid: number): { rchar: number; wchar: number } | null {
  try {
    const text = fs.readFileSync(`/proc/${pid}/io`, "latin1");
    const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, "m").exec(text)?.[1]);
    const rchar = field("rchar");
    const wchar = field("wchar");
    return Number.isFinite(rchar) && Number.isFinite(wchar) ? { rchar, wchar } : null;
  } catch {
    return null;
  }
}

/** "exited with exit code N" / "terminated by signal S", as the run module words a script's end. */
export function toolFailure(e: ToolExit): string {
  return e.signal !== null ? `terminated by signal ${e.signal}` : `exited with exit code ${e.code}`;
}

/** A GuestosError TOOL_MISSING unless `name` is on `searchPath`; returns its absolute path. */
export function requireTool(name: string, searchPath: string, action: string): string {
  const found = findTool(name, searchPath);
  if (found) return found;
  throw new GuestosError(
    "TOOL_MISSING",
    `Cannot ${action}: the program "${name}" was not found on PATH "${searchPath}"`,
    { hint: `install ${name} (Debian: apt-get install ${name === "fallocate" ? "util-linux" : name})` },
  );
}
