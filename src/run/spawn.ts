import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { GuestosError, errnoName } from "../errors.js";
import { execFailureMessage } from "./failure.js";
import { wouldFailENOEXEC } from "./execcheck.js";
import { closeInheritedFds } from "./fds.js";
import { closeQuietly, makePipes, type PipeDirection } from "./fifo.js";
import { openLogAppend, openLogFile } from "./logfile.js";
import { supervise } from "./supervise.js";
import { EXP_SIZE_FD, type RunOptions, type RunResult, type StdoutSpec } from "./types.js";

export { EXP_SIZE_FD, type RunOptions, type RunResult, type StdinSpec, type StdoutSpec } from "./types.js";

function badOption(argv0: string, reason: string): GuestosError {
  return new GuestosError("BAD_OPTION", `Cannot run "${argv0}": ${reason}`);
}

function validate(opts: RunOptions): void {
  const argv0 = opts.argv[0] ?? "";
  if (!path.isAbsolute(argv0)) throw badOption(argv0, "the script path must be absolute");
  if (opts.argv.some((a) => a.includes("\0")) || opts.cwd.includes("\0")) {
    throw badOption(argv0, "an argument or the directory contains a NUL byte");
  }
  for (const [key, value] of Object.entries(opts.env)) {
    if (key === "" || key.includes("=") || key.includes("\0")) {
      throw badOption(argv0, `invalid environment variable name ${JSON.stringify(key)}`);
    }
    if (typeof value !== "string" || value.includes("\0")) {
      throw badOption(argv0, `the value of environment variable ${key} is not a string without NUL bytes`);
    }
  }
}

/** The errno chdir(cwd) would fail with, or null (the child chdirs before exec, so this error comes first). */
function cwdError(cwd: string): string | null {
  try {
    if (!fs.statSync(cwd).isDirectory()) return "ENOTDIR";
    fs.accessSync(cwd, fs.constants.X_OK);
    return null;
  } catch (err) {
    return errnoName(err);
  }
}

function execError(argv: string[], cwd: string, code: string, cause?: unknown): GuestosError {
  const badCwd = cwdError(cwd);
  const message = badCwd ? execFailureMessage(argv, badCwd, cwd) : execFailureMessage(argv, code, argv[0]!);
  return new GuestosError("SCRIPT_EXEC", message, cause === undefined ? {} : { cause });
}

function isStream(x: unknown): boolean {
  return typeof x === "object" && x !== null;
}

interface Plan {
  stdout: StdoutSpec;
  logged: boolean; // stderr (and maybe stdout) into the log file
}

function plan(opts: RunOptions): Plan {
  const stdout = opts.stdout ?? (opts.capture || !opts.logFile ? "capture" : "log");
  if (stdout === "log" && !opts.logFile) throw badOption(opts.argv[0]!, 'stdout "log" needs a log file');
  return { stdout, logged: opts.logFile !== undefined };
}

/** Run one OS script exactly as Ganeti's node does (execve, clean env, cwd, stdio), with guestos's limits. */
export async function runScript(opts: RunOptions): Promise<RunResult> {
  validate(opts);
  const argv0 = opts.argv[0]!;
  if (opts.signal?.aborted)
    throw new GuestosError("ABORTED", `Cannot run "${argv0}": aborted before it started`);
  const p = plan(opts);
  closeInheritedFds();

  // Every fd opened here is ours until the spawn hands copies to the child; all are closed on every path.
  const ours: number[] = [];
  let logPath: string | null = null;
  let logFd: number | undefined;
  try {
    if (opts.logFile !== undefined) {
      if (opts.appendLog) {
        logFd = await openLogAppend(opts.logFile);
        logPath = opts.logFile;
      } else {
        ({ path: logPath, fd: logFd } = await openLogFile(opts.logFile));
      }
      ours.push(logFd);
    }
    // After the log is opened, as in Ganeti, where a script that cannot run still leaves an empty log.
    if (cwdError(opts.cwd) === null && wouldFailENOEXEC(argv0))
      throw execError(opts.argv, opts.cwd, "ENOEXEC");

    const stdinSpec = opts.stdin ?? "eof";
    const directions: PipeDirection[] = [];
    const want = (d: PipeDirection): number => directions.push(d) - 1;
    const stdinPipe = isStream(stdinSpec) ? want("toChild") : -1;
    const stdoutPipe = p.stdout === "capture" || isStream(p.stdout) ? want("fromChild") : -1;
    const stderrPipe = p.logged ? -1 : want("fromChild");
    const sizePipe = opts.sizeFd ? want("fromChild") : -1;
    const pipes = await makePipes(directions);
    for (const pair of pipes) ours.push(pair.child, pair.parent);

    const stdio: (number | "ignore")[] = [
      // "eof" is /dev/null too: see fifo.ts for why it cannot be a closed pipe.
      stdinPipe >= 0 ? pipes[stdinPipe]!.child : typeof stdinSpec === "number" ? stdinSpec : "ignore",
      stdoutPipe >= 0 ? pipes[stdoutPipe]!.child : p.stdout === "log" ? logFd! : (p.stdout as number),
      stderrPipe >= 0 ? pipes[stderrPipe]!.child : logFd!,
    ];
    if (sizePipe >= 0) stdio.push(pipes[sizePipe]!.child);
    const env = { ...opts.env };
    if (opts.sizeFd) env.EXP_SIZE_FD = String(EXP_SIZE_FD);

    let child: ChildProcess;
    // The umask is inherited at fork; Ganeti's daemonised noded runs with 077.
    const oldUmask = process.umask(0o077);
    // Node copies NODE_V8_COVERAGE into every child's env, even an explicit one; the script must see only `env`.
    const coverage = process.env.NODE_V8_COVERAGE;
    delete process.env.NODE_V8_COVERAGE;
    try {
      child = spawn(argv0, opts.argv.slice(1), {
        cwd: opts.cwd,
        env,
        stdio: stdio,
        shell: false,
        detached: true,
        windowsHide: true,
      });
    } catch (err) {
      throw execError(opts.argv, opts.cwd, errnoName(err), err);
    } finally {
      process.umask(oldUmask);
      if (coverage !== undefined) process.env.NODE_V8_COVERAGE = coverage;
    }
    let spawnError: Error | undefined;
    const spawnFailed = new Promise<Error>((resolve) =>
      child.once("error", (err) => {
        spawnError ??= err;
        resolve(err);
      }),
    );

    // The child has its copies now; ours of its ends (and of the log) must go, or EOF never comes.
    for (const pair of pipes) {
      closeQuietly(pair.child);
      ours.splice(ours.indexOf(pair.child), 1);
    }
    if (logFd !== undefined) {
      closeQuietly(logFd);
      ours.splice(ours.indexOf(logFd), 1);
    }

    const pid = child.pid;
    if (pid === undefined) {
      const err = spawnError ?? (await spawnFailed);
      throw execError(opts.argv, opts.cwd, errnoName(err), err);
    }
    // From here the parent ends belong to the pipe readers and writers, which close them.
    const parents = pipes.map((pair) => pair.parent);
    ours.length = 0;
    return await supervise(child, pid, opts, {
      stdinFd: stdinPipe >= 0 ? parents[stdinPipe] : undefined,
      stdoutFd: stdoutPipe >= 0 ? parents[stdoutPipe] : undefined,
      stderrFd: stderrPipe >= 0 ? parents[stderrPipe] : undefined,
      sizeFd: sizePipe >= 0 ? parents[sizePipe] : undefined,
      stdout: p.stdout,
      logPath,
    });
  } finally {
    for (const fd of ours) closeQuietly(fd);
  }
}
