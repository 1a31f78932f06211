import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Private network, UTS and mount namespaces for the test cluster: a holder process keeps them alive,
 * commands enter them with nsenter, and every process inside can be found (and ended, by pid) through
 * /proc/<pid>/ns, which only our own descendants can share with the holder.
 */

/** A command's outcome. `code` is null when a signal ended it (then `signal` names it). */
export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of one command. */
export interface RunOptions {
  /** Kill the command (SIGKILL) and reject after this long. Default 180 s. */
  timeoutMs?: number;
  /** Added to the minimal environment the command gets. */
  env?: Record<string, string>;
  /** Written to the command's stdin (which is closed either way). */
  input?: string | Buffer;
}

/**
 * The namespace identities of a process: `net:[4026532…]` and `mnt:[…]`. The kernel reuses these numbers as
 * soon as a namespace dies, so an identity kept for later (a lock record) also carries a `marker`: a string
 * that the namespace's own mount table must contain (the name of the cluster's private root).
 */
export interface NsIds {
  net: string;
  mnt: string;
  marker?: string;
}

/** The holder of the namespaces. */
export interface NsHolder {
  readonly pid: number;
  readonly ns: NsIds;
  /** End the holder (closing its stdin ends it; SIGKILL if it lingers) and wait for it. */
  stop(): Promise<void>;
  /** SIGKILL the holder unless it has exited (synchronous, for exit handlers). */
  killSync(): void;
}

const DEFAULT_TIMEOUT_MS = 180_000;
// gnt-* commands run with this and nothing of the test's environment (coverage, tsx, CI variables), so
// that what the daemons inherit, and pass on to import/export scripts, does not depend on the test run.
const BASE_ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: "/root" };

/** The namespaces of process `pid`, or null when it is gone. */
export function nsIds(pid: number | "self"): NsIds | null {
  try {
    return { net: readlinkSync(`/proc/${pid}/ns/net`), mnt: readlinkSync(`/proc/${pid}/ns/mnt`) };
  } catch {
    return null;
  }
}

/** Every process whose network and mount namespaces are `ns` (none if its mounts lack `ns.marker`). */
export function pidsInNamespace(ns: NsIds): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const ids = nsIds(Number(entry));
    if (ids !== null && ids.net === ns.net && ids.mnt === ns.mnt) pids.push(Number(entry));
  }
  if (ns.marker === undefined || pids.length === 0) return pids;
  const marker = ns.marker;
  // One mount table per mount namespace: the first member that is still there tells for all.
  for (const pid of pids) {
    let mounts: string;
    try {
      mounts = readFileSync(`/proc/${pid}/mountinfo`, "utf8");
    } catch {
      continue;
    }
    return mounts.includes(marker) ? pids : [];
  }
  return [];
}

/** A process's argv as one string with spaces (empty when it is gone). */
export function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0").join(" ").trim();
  } catch {
    return "";
  }
}

/** True while `pid` exists (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Send `signal` to `pid`, ignoring a process that is already gone. */
export function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}

/** Wait until none of `pids` is alive; returns those still alive after `timeoutMs`. */
export async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = left.filter(alive);
  }
  return left;
}

/**
 * Start the holder: `unshare --net --uts --mount -- cat` with stdin a pipe from this process, so that the
 * holder also ends when this process dies without cleaning up. `logPath` receives unshare's stderr.
 */
export async function startHolder(logPath: string): Promise<NsHolder> {
  const own = nsIds("self");
  if (own === null) throw new Error("Cannot start namespace holder: /proc/self/ns is unreadable");
  const logFd = openSync(logPath, "a");
  let child: ChildProcess;
  try {
    child = spawn(
      "/usr/bin/unshare",
      ["--net", "--uts", "--mount", "--propagation", "private", "--", "/bin/cat"],
      { stdio: ["pipe", "ignore", logFd], env: BASE_ENV },
    );
  } finally {
    closeSync(logFd);
  }
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once("close", () => resolve()));
  child.once("close", () => (exited = true));
  child.once("error", () => (exited = true));
  const pid = child.pid;
  // The holder must not keep the test process alive: if a test forgets stop(), exit handlers clean up.
  child.unref();
  (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  const stop = async () => {
    child.stdin?.destroy();
    if (pid !== undefined && (await waitGone([pid], 2000)).length > 0) signalPid(pid, "SIGKILL");
    if (!exited) await exit;
  };
  const killSync = () => {
    if (!exited) child.kill("SIGKILL");
  };
  // unshare(2) then exec: the same pid, first as unshare in our namespaces, then as cat in the new ones.
  for (let i = 0; i < 100 && pid !== undefined && !exited; i++) {
    const ids = nsIds(pid);
    if (ids !== null && ids.net !== own.net && ids.mnt !== own.mnt && cmdline(pid) === "/bin/cat") {
      return { pid, ns: ids, stop, killSync };
    }
    await sleep(50);
  }
  await stop();
  const log = existsSync(logPath) ? readFileSync(logPath, "utf8").trim() : "";
  throw new Error(`Cannot start namespace holder: unshare did not come up${log === "" ? "" : `: ${log}`}`);
}

/** Run `argv` inside the holder's namespaces (nsenter, no shell) and collect its output. */
export function runIn(holderPid: number, argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const full = ["-t", String(holderPid), "-n", "-u", "-m", "--", ...argv];
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/nsenter", full, {
      env: { ...BASE_ENV, ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.stdin.on("error", () => undefined);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString("utf8");
      const stderr = Buffer.concat(err).toString("utf8");
      if (timedOut) {
        reject(new Error(`${argv.join(" ")}: timed out after ${timeoutMs} ms\n${stdout}${stderr}`));
      } else {
        resolve({ code, signal, stdout, stderr });
      }
    });
    child.stdin.end(opts.input);
  });
}
