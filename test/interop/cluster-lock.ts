import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A machine-wide lock for the test cluster: an O_EXCL file holding its owner's pid and that process's start
 * time (so a reused pid is not mistaken for the owner), plus whatever the owner records about what it has
 * running, so that the next owner can clean up after one that was killed.
 */

/** What the lock file records. */
export interface LockInfo {
  pid: number;
  /** /proc/<pid>/stat's starttime: with pid, identifies the owning process. */
  pidStart: string;
  [key: string]: unknown;
}

/** A held lock. */
export interface HeldLock {
  readonly path: string;
  /** Rewrite the record (synchronous, so it can run in an exit handler). */
  update(extra: Record<string, unknown>): void;
  /** Remove the lock if it is still ours (synchronous). */
  release(): void;
}

// A lock file this young and still empty or half written belongs to an owner that is writing it.
const FRESH_MS = 10_000;
// A break file (the lock for breaking a stale lock) older than this was left by a killed process.
const BREAK_STALE_MS = 60_000;
const POLL_MS = 250;

/** /proc/<pid>/stat's starttime, or null when there is no such process. */
export function procStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // The command name (field 2) may hold spaces and parentheses: count fields after its last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** True when the process that wrote `info` still runs. */
export function ownerAlive(info: Pick<LockInfo, "pid" | "pidStart">): boolean {
  return procStartTime(info.pid) === info.pidStart;
}

function readLock(path: string): { text: string; info: LockInfo | null; ageMs: number } | null {
  try {
    const text = readFileSync(path, "utf8");
    const ageMs = Date.now() - statSync(path).mtimeMs;
    let info: LockInfo | null = null;
    try {
      const parsed = JSON.parse(text) as Partial<LockInfo>;
      if (typeof parsed.pid === "number" && typeof parsed.pidStart === "string") info = parsed as LockInfo;
    } catch {
      info = null;
    }
    return { text, info, ageMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

function tryCreate(path: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
  return true;
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

/**
 * Break a stale lock under a second O_EXCL lock, so that two waiters cannot both judge it stale and the
 * slower one then delete the faster one's new lock. `onStale` runs first, with the dead owner's record.
 */
async function breakStale(path: string, staleText: string, onStale: (info: LockInfo) => Promise<void>) {
  const breakPath = `${path}.break`;
  if (!tryCreate(breakPath, String(process.pid))) {
    const b = readLock(breakPath);
    if (b !== null && b.ageMs > BREAK_STALE_MS) unlinkQuiet(breakPath);
    return;
  }
  try {
    const again = readLock(path);
    if (again === null || again.text !== staleText) return;
    if (again.info !== null) await onStale(again.info);
    unlinkQuiet(path);
  } finally {
    unlinkQuiet(breakPath);
  }
}

/**
 * Take the lock at `path`, waiting up to `timeoutMs` while a live process holds it. A lock whose owner is
 * gone is handed to `onStale` (to clean up what the owner left) and then removed.
 */
export async function acquireLock(
  path: string,
  opts: { timeoutMs: number; onStale: (info: LockInfo) => Promise<void> },
): Promise<HeldLock> {
  const pidStart = procStartTime(process.pid);
  if (pidStart === null)
    throw new Error(`Cannot take lock "${path}": /proc/${process.pid}/stat is unreadable`);
  const base: LockInfo = { pid: process.pid, pidStart };
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    let text = JSON.stringify(base);
    if (tryCreate(path, text)) {
      let released = false;
      return {
        path,
        update(extra) {
          if (released) return;
          text = JSON.stringify({ ...extra, ...base });
          writeFileSync(path, text);
        },
        release() {
          if (released) return;
          released = true;
          const cur = readLock(path);
          if (cur !== null && cur.info?.pid === base.pid && cur.info.pidStart === base.pidStart)
            unlinkQuiet(path);
        },
      };
    }
    const cur = readLock(path);
    if (cur !== null) {
      const stale = cur.info === null ? cur.ageMs > FRESH_MS : !ownerAlive(cur.info);
      if (stale) {
        await breakStale(path, cur.text, opts.onStale);
        await sleep(POLL_MS / 5);
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `Cannot take lock "${path}": held by pid ${cur.info?.pid ?? "?"} for more than ${opts.timeoutMs} ms`,
        );
      }
    }
    await sleep(POLL_MS);
  }
}
