import { GuestosError } from "../errors.js";
import { jobEndedError, nowTs } from "./jobs.js";
import { isProcessAlive } from "./proc.js";
import { recoverJob } from "./recovery.js";
import { storeError, type Db } from "./store.js";
import { FINAL_JOB_STATUSES, type JobStatus } from "./types.js";

/*
 * Named locks across processes, one holder job each: `instance:<name>`, `node-config`, ... A job takes all
 * the names it needs in one call, in one IMMEDIATE transaction, or none of them: nobody holds some while
 * waiting for others, so two jobs cannot deadlock. Holders are never trusted blindly: a lock whose job has
 * ended, or whose process is gone, is stale and taken over (the holder is recovered first).
 */

const DEFAULT_POLL_MS = 100;

interface HolderRow {
  job_id: number;
  op: string;
  status: JobStatus;
  pid: number | null;
  pid_start: string | null;
}

type Attempt =
  | { kind: "taken" }
  | { kind: "stale"; jobs: number[] }
  | { kind: "busy"; name: string; holder: HolderRow; previous: JobStatus };

/** What a lock name locks, for messages: `instance "web1"`, `the node configuration`. */
export function describeLock(name: string): string {
  if (name === "node-config") return "the node configuration";
  const colon = name.indexOf(":");
  if (colon > 0) return `${name.slice(0, colon)} "${name.slice(colon + 1)}"`;
  return `"${name}"`;
}

/** The error for a lock another live job holds. */
export function lockedError(name: string, holder: { id: number; op: string }): GuestosError {
  return new GuestosError(
    "LOCKED",
    `Cannot lock ${describeLock(name)}: job ${holder.id} (${holder.op}) holds it`,
    { hint: `wait for it with "guestos job watch ${holder.id}", or pass --wait` },
  );
}

/**
 * Take every lock in `names` for job `jobId`, all at once or none. Without `wait`, a lock held by another
 * live job fails at once (LOCKED); with it, the job shows `waiting` and the locks are polled every `pollMs`
 * until free, then the job gets back the status it had. Aborting `signal` rejects with its reason.
 */
export async function acquireLocks(
  db: Db,
  jobId: number,
  names: readonly string[],
  opts: { wait?: boolean; signal?: AbortSignal; pollMs?: number } = {},
): Promise<void> {
  const wanted = [...new Set(names)];
  for (const name of wanted) {
    if (typeof name !== "string" || name === "") {
      throw new GuestosError("LOCK_NAME", `Cannot acquire locks for job ${jobId}: a lock name is empty`);
    }
  }
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  // The status to give back once we stop waiting; null while we have not set `waiting` ourselves.
  let previous: JobStatus | null = null;
  try {
    for (;;) {
      opts.signal?.throwIfAborted();
      const got = attempt(db, jobId, wanted, { wait: opts.wait === true, previous });
      if (got.kind === "taken") return;
      if (got.kind === "stale") {
        for (const id of got.jobs) await recoverJob(db, id);
        continue;
      }
      if (!opts.wait) throw lockedError(got.name, { id: got.holder.job_id, op: got.holder.op });
      previous ??= got.previous;
      await pause(pollMs, opts.signal);
    }
  } catch (err) {
    if (previous !== null && previous !== "waiting") {
      try {
        db.prepare("UPDATE jobs SET status = ? WHERE id = ? AND status = 'waiting'").run(previous, jobId);
      } catch {
        // The original error says more than a failed status reset would.
      }
    }
    throw err;
  }
}

/** One try, in one IMMEDIATE transaction. */
function attempt(
  db: Db,
  jobId: number,
  names: string[],
  opts: { wait: boolean; previous: JobStatus | null },
): Attempt {
  const holderOf = db.prepare(
    `SELECT l.job_id, j.op, j.status, j.pid, j.pid_start
     FROM locks l JOIN jobs j ON j.id = l.job_id WHERE l.name = ?`,
  );
  try {
    return db
      .transaction((): Attempt => {
        const own = db.prepare("SELECT status FROM jobs WHERE id = ?").get(jobId) as
          { status: JobStatus } | undefined;
        if (!own)
          throw new GuestosError("JOB_NOT_FOUND", `Cannot acquire locks for job ${jobId}: no such job`);
        if (FINAL_JOB_STATUSES.has(own.status)) throw jobEndedError("acquire locks for", jobId, own.status);
        const free: string[] = [];
        const stale: number[] = [];
        let busy: { name: string; holder: HolderRow } | null = null;
        for (const name of names) {
          const holder = holderOf.get(name) as HolderRow | undefined;
          if (!holder) {
            free.push(name);
          } else if (holder.job_id === jobId) {
            continue;
          } else if (FINAL_JOB_STATUSES.has(holder.status)) {
            // Jobs release their locks as they end; a leftover is just removed.
            db.prepare("DELETE FROM locks WHERE name = ?").run(name);
            free.push(name);
          } else if (!isProcessAlive(holder.pid, holder.pid_start)) {
            if (!stale.includes(holder.job_id)) stale.push(holder.job_id);
          } else {
            busy ??= { name, holder };
          }
        }
        if (stale.length > 0) return { kind: "stale", jobs: stale };
        if (busy) {
          if (opts.wait && own.status !== "waiting") {
            db.prepare("UPDATE jobs SET status = 'waiting' WHERE id = ?").run(jobId);
          }
          return { kind: "busy", ...busy, previous: own.status };
        }
        const insert = db.prepare("INSERT INTO locks (name, job_id, acquired_ts) VALUES (?, ?, ?)");
        const ts = nowTs();
        for (const name of free) insert.run(name, jobId, ts);
        if (opts.previous !== null && own.status === "waiting") {
          db.prepare("UPDATE jobs SET status = ? WHERE id = ?").run(opts.previous, jobId);
        }
        return { kind: "taken" };
      })
      .immediate();
  } catch (err) {
    throw storeError("update", err);
  }
}

/** Resolve after `ms`, or at once when `signal` aborts (the caller then sees signal.aborted). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Release every lock job `jobId` holds. */
export function releaseLocks(db: Db, jobId: number): void {
  try {
    db.prepare("DELETE FROM locks WHERE job_id = ?").run(jobId);
  } catch (err) {
    throw storeError("update", err);
  }
}

/** The lock names job `jobId` holds, sorted. */
export function heldLocks(db: Db, jobId: number): string[] {
  try {
    const rows = db.prepare("SELECT name FROM locks WHERE job_id = ? ORDER BY name").all(jobId) as {
      name: string;
    }[];
    return rows.map((r) => r.name);
  } catch (err) {
    throw storeError("read", err);
  }
}
