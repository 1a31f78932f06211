import { lstatSync, rmSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { detachLoopsBackedBy } from "../disks/index.js";
import { errnoName } from "../errors.js";
import { appendJobLog, finishJob, jobResources } from "./jobs.js";
import { groupMembers, isProcessAlive, readProcStat, selfIdentity } from "./proc.js";
import { storeError, type Db } from "./store.js";
import type { JobError, JobStatus } from "./types.js";

/*
 * A job whose process died before finishing (SIGKILL, power loss, OOM) left its row pending, its locks held
 * and maybe script processes, loop devices and temp files behind. Recovery finds such jobs, cleans what they
 * recorded, and marks them failed.
 *
 * Two recoverers (two guestos processes starting at once, or a lock takeover racing a start-up) must not
 * both clean one job: the second could detach a loop device a NEW job attached after the first finished.
 * So a recoverer first claims the job by writing its own pid into it, compare-and-swap style, in an
 * IMMEDIATE transaction; to everyone else the job then has a live process. If the recoverer dies in turn,
 * the job is dead again and the next recovery redoes the (idempotent) cleanup.
 */

/** What recovery did: the jobs it marked interrupted and what it cleaned up for them. */
export interface RecoveryReport {
  jobs: number[];
  /** Process groups signalled (SIGTERM, then SIGKILL after a grace period). */
  killed: number[];
  /** Loop devices detached. */
  detached: string[];
  /** Temp files and directories removed. */
  removed: string[];
  /** Cleanups that failed, one message each (also written to the job's log as warnings). */
  failed: string[];
}

interface PendingRow {
  id: number;
  target: string | null;
  status: JobStatus;
  pid: number | null;
  pid_start: string | null;
}

/** How long killed process groups get to disappear before loop devices are detached under them. */
/** How long a script gets to clean up after SIGTERM (Ganeti's CHILD_LINGER_TIMEOUT). */
const TERM_GRACE_MS = 5_000;
const KILL_WAIT_MS = 5000;

function emptyReport(): RecoveryReport {
  return { jobs: [], killed: [], detached: [], removed: [], failed: [] };
}

function isPending(status: JobStatus): boolean {
  return status === "queued" || status === "waiting" || status === "running";
}

/** Mark every pending job whose process is gone as interrupted, after cleaning what it left behind. */
export async function recoverInterrupted(db: Db, opts: { now?: number } = {}): Promise<RecoveryReport> {
  // The common case (nothing pending) costs this one query on the partial index jobs_pending.
  const rows = guarded("read", () =>
    db.prepare("SELECT id, pid, pid_start FROM jobs WHERE status IN ('queued', 'waiting', 'running')").all(),
  ) as Pick<PendingRow, "id" | "pid" | "pid_start">[];
  rows.sort((a, b) => a.id - b.id);
  const report = emptyReport();
  for (const row of rows) {
    if (isProcessAlive(row.pid, row.pid_start)) continue;
    const one = await recoverJob(db, row.id, opts);
    for (const key of Object.keys(report) as (keyof RecoveryReport)[]) {
      (report[key] as unknown[]).push(...one[key]);
    }
  }
  return report;
}

/**
 * Recover one job if it is pending and its process is gone (what lock takeover uses); a live or finished
 * job, or one another process is recovering, is left alone and the report is empty.
 */
export async function recoverJob(db: Db, id: number, opts: { now?: number } = {}): Promise<RecoveryReport> {
  const report = emptyReport();
  const original = claim(db, id);
  if (!original) return report;
  const warnings: string[] = [];
  const failed = (message: string): void => {
    report.failed.push(message);
    warnings.push(message);
  };

  const resources = jobResources(db, id);
  // Processes first (they may be writing to the loop devices and files), then devices, then files.
  const groups = resources.filter((r) => r.kind === "pgid").map((r) => r.value);
  await killGroups(groups, report, failed);
  for (const r of resources.filter((r) => r.kind === "loopfile")) {
    try {
      report.detached.push(...(await detachLoopsBackedBy(r.value)));
    } catch (err) {
      failed(`Could not detach the loop devices of ${r.value}: ${(err as Error).message}`);
    }
  }
  for (const r of resources.filter((r) => r.kind === "tempfile" || r.kind === "tempdir")) {
    removePath(r.value, r.kind === "tempdir", report, failed);
  }

  const pidText = original.pid === null ? "(unknown)" : String(original.pid);
  const error: JobError = {
    code: "JOB_INTERRUPTED",
    message: `Job ${id} was interrupted: its process ${pidText} ended before the job finished`,
    hint: null,
  };
  const me = selfIdentity();
  const marked = guarded("update", () =>
    db
      .transaction(() => {
        const row = db.prepare("SELECT status, pid, pid_start FROM jobs WHERE id = ?").get(id) as
          Pick<PendingRow, "status" | "pid" | "pid_start"> | undefined;
        if (!row || !isPending(row.status) || row.pid !== me.pid || row.pid_start !== me.pidStart)
          return false;
        // Give the job its own process back: `job info` should name the process that died, not the recoverer.
        db.prepare("UPDATE jobs SET pid = ?, pid_start = ? WHERE id = ?").run(
          original.pid,
          original.pid_start,
          id,
        );
        const logOpts = opts.now === undefined ? {} : { now: opts.now };
        for (const text of warnings) appendJobLog(db, id, "warning", text, logOpts);
        appendJobLog(db, id, "warning", error.message, logOpts);
        finishJob(db, id, { error, ...logOpts });
        if (original.target !== null) {
          db.prepare(
            "UPDATE instances SET install_state = 'failed', last_error = ? WHERE name = ? AND install_state = 'pending'",
          ).run(error.message, original.target);
        }
        return true;
      })
      .immediate(),
  );
  if (marked) report.jobs.push(id);
  return report;
}

/** Take the job over for recovery if it is pending and its process is dead; returns the row as it was. */
function claim(db: Db, id: number): PendingRow | null {
  const me = selfIdentity();
  return guarded("update", () =>
    db
      .transaction(() => {
        const row = db.prepare("SELECT id, target, status, pid, pid_start FROM jobs WHERE id = ?").get(id) as
          PendingRow | undefined;
        if (!row || !isPending(row.status) || isProcessAlive(row.pid, row.pid_start)) return null;
        db.prepare("UPDATE jobs SET pid = ?, pid_start = ? WHERE id = ?").run(me.pid, me.pidStart, id);
        return row;
      })
      .immediate(),
  );
}

function guarded<T>(action: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw storeError(action, err);
  }
}

/*
 * A `pgid` resource is "<pgid>:<start time of the group leader>". The leader is the script guestos spawned
 * with setsid, so pgid == leader pid.
 * - Leader alive (or a zombie) with that start time: it is our group; kill it.
 * - A process with that pid but another start time: the pid was reused. The kernel never reuses a pid while
 *   a process group of that number has members, so our group was empty when that happened; whatever group
 *   has the number now is someone else's. Do not kill.
 * - No process with that pid: the leader died. Members it left (`sleep 1000 &`) still hold the group number,
 *   which therefore cannot have been reused: kill the group. The only way to hit a stranger is the group
 *   emptying, the number being reused by a new leader that then dies leaving members of its own, all before
 *   recovery runs; pids would have to wrap around in between, which we accept.
 */
async function killGroups(
  values: string[],
  report: RecoveryReport,
  failed: (m: string) => void,
): Promise<void> {
  const ownGroup = readProcStat(process.pid)?.pgrp;
  const signalled: number[] = [];
  for (const value of values) {
    const m = /^([1-9]\d*):(\d+)$/.exec(value);
    const pgid = Number(m?.[1]);
    // Never signal -1 (every process) or our own group, whatever the record says.
    if (!m || !Number.isSafeInteger(pgid) || pgid <= 1) {
      failed(`Could not kill process group "${value}": not a valid process group record`);
      continue;
    }
    if (pgid === ownGroup) {
      failed(`Could not kill process group ${pgid}: it is the recovering process's own`);
      continue;
    }
    const leader = readProcStat(pgid);
    if (leader && leader.startTime !== m[2]) continue;
    try {
      // TERM first, as a timeout does: a script's EXIT trap (debootstrap's unmounts and losetup -d)
      // still runs. KILL follows for whatever outlives the grace period.
      process.kill(-pgid, "SIGTERM");
      signalled.push(pgid);
      report.killed.push(pgid);
    } catch (err) {
      if (errnoName(err) !== "ESRCH") failed(`Could not kill process group ${pgid}: ${errnoName(err)}`);
    }
  }
  const waitEmpty = async (groups: number[], ms: number): Promise<number[]> => {
    const deadline = Date.now() + ms;
    let left = groups.filter((g) => groupMembers(g).length > 0);
    while (left.length > 0 && Date.now() < deadline) {
      await sleep(10);
      left = left.filter((g) => groupMembers(g).length > 0);
    }
    return left;
  };
  let left = await waitEmpty(signalled, TERM_GRACE_MS);
  for (const g of left) {
    try {
      process.kill(-g, "SIGKILL");
    } catch (err) {
      if (errnoName(err) !== "ESRCH") failed(`Could not kill process group ${g}: ${errnoName(err)}`);
    }
  }
  // SIGKILL is delivered asynchronously; a device still open by a dying process only detaches lazily.
  left = await waitEmpty(left, KILL_WAIT_MS);
  for (const g of left) failed(`Process group ${g} still has members after SIGKILL`);
}

/** rm -rf for a recorded temp path: symlinks are removed, never followed; a missing path is fine. */
function removePath(
  path: string,
  recursive: boolean,
  report: RecoveryReport,
  failed: (m: string) => void,
): void {
  if (!isAbsolute(path) || resolve(path) === "/") {
    failed(`Could not remove "${path}": not an absolute temporary path`);
    return;
  }
  try {
    lstatSync(path);
  } catch (err) {
    if (errnoName(err) !== "ENOENT") failed(`Could not remove ${path}: ${errnoName(err)}`);
    return;
  }
  try {
    // rmSync lstat()s each entry: a symlink, even to a directory, is unlinked, not descended into.
    rmSync(path, { recursive, force: true });
    report.removed.push(path);
  } catch (err) {
    failed(`Could not remove ${path}: ${errnoName(err)}`);
  }
}
