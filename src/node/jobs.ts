import { GuestosError } from "../errors.js";
import { processStartTime, selfIdentity } from "./proc.js";
import { storeError, type Db } from "./store.js";
import {
  FINAL_JOB_STATUSES,
  type JobError,
  type JobLogEntry,
  type JobLogKind,
  type JobRecord,
  type JobResourceKind,
  type JobStatus,
} from "./types.js";

/*
 * Jobs as rows. Every write is one statement or one short IMMEDIATE transaction: a read-then-write in a
 * deferred transaction could fail with SQLITE_BUSY when another process wrote in between, and the busy
 * timeout cannot save it.
 */

/** Statuses a job can be moved between while it is pending. */
export type PendingJobStatus = "queued" | "waiting" | "running";
export const PENDING_JOB_STATUSES: readonly PendingJobStatus[] = ["queued", "waiting", "running"];

/** Ganeti's priority range (OP_PRIO_HIGHEST..OP_PRIO_LOWEST). */
const MIN_PRIORITY = -20;
const MAX_PRIORITY = 19;

interface JobRow {
  id: number;
  op: string;
  target: string | null;
  status: JobStatus;
  priority: number;
  received_ts: number;
  start_ts: number | null;
  end_ts: number | null;
  input: string;
  result: string | null;
  error: string | null;
  log_files: string;
  pid: number | null;
  pid_start: string | null;
}

interface LogRow {
  job_id: number;
  seq: number;
  ts: number;
  kind: JobLogKind;
  text: string;
  hint: string | null;
}

/** Seconds since the epoch, with fractions, as Ganeti records times. */
export function nowTs(): number {
  return Date.now() / 1000;
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: row.id,
    op: row.op,
    target: row.target,
    status: row.status,
    priority: row.priority,
    receivedTs: row.received_ts,
    startTs: row.start_ts,
    endTs: row.end_ts,
    input: JSON.parse(row.input) as Record<string, unknown>,
    result: row.result === null ? null : (JSON.parse(row.result) as unknown),
    error: row.error === null ? null : (JSON.parse(row.error) as JobError),
    logFiles: JSON.parse(row.log_files) as string[],
    pid: row.pid,
    pidStart: row.pid_start,
  };
}

function toEntry(row: LogRow): JobLogEntry {
  return { jobId: row.job_id, seq: row.seq, ts: row.ts, kind: row.kind, text: row.text, hint: row.hint };
}

/** Run `fn`, turning SQLite failures into GuestosErrors (the job errors it throws pass through). */
function guarded<T>(action: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw storeError(action, err);
  }
}

function notFound(action: string, id: number): GuestosError {
  return new GuestosError("JOB_NOT_FOUND", `Cannot ${action} job ${id}: no such job`);
}

/** The error for a job that is no longer pending: JOB_CANCELED or JOB_FINISHED. */
export function jobEndedError(action: string, id: number, status: JobStatus): GuestosError {
  if (status === "canceled")
    return new GuestosError("JOB_CANCELED", `Cannot ${action} job ${id}: it was canceled`);
  return new GuestosError("JOB_FINISHED", `Cannot ${action} job ${id}: it has already ended (${status})`);
}

function rowOf(db: Db, id: number): JobRow | undefined {
  return db.prepare("SELECT * FROM jobs WHERE id = ?").get(id) as JobRow | undefined;
}

/** Record a new job of this process, status `queued`. */
export function createJob(
  db: Db,
  opts: { op: string; target: string | null; input: Record<string, unknown>; priority?: number },
): JobRecord {
  const priority = opts.priority ?? 0;
  if (!Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
    throw new GuestosError(
      "JOB_PRIORITY",
      `Cannot create job "${opts.op}": priority ${priority} is not an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`,
    );
  }
  const me = selfIdentity();
  const row = guarded("add a job to", () =>
    db
      .prepare(
        `INSERT INTO jobs (op, target, status, priority, received_ts, input, pid, pid_start)
         VALUES (?, ?, 'queued', ?, ?, ?, ?, ?) RETURNING *`,
      )
      .get(opts.op, opts.target, priority, nowTs(), JSON.stringify(opts.input), me.pid, me.pidStart),
  ) as JobRow;
  return toRecord(row);
}

/** The job, or null when there is none with that id. */
export function getJob(db: Db, id: number): JobRecord | null {
  const row = guarded("read", () => rowOf(db, id));
  return row ? toRecord(row) : null;
}

/** Jobs sorted by id, optionally only the given ids and/or statuses. */
export function listJobs(
  db: Db,
  opts: { ids?: readonly number[]; statuses?: readonly JobStatus[] } = {},
): JobRecord[] {
  const where: string[] = [];
  const args: string[] = [];
  // json_each keeps one statement whatever the list length (no host-parameter limit).
  if (opts.ids) {
    where.push("id IN (SELECT value FROM json_each(?))");
    args.push(JSON.stringify(opts.ids));
  }
  if (opts.statuses) {
    where.push("status IN (SELECT value FROM json_each(?))");
    args.push(JSON.stringify(opts.statuses));
  }
  const sql = `SELECT * FROM jobs${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id`;
  const rows = guarded("read", () => db.prepare(sql).all(...args)) as JobRow[];
  return rows.map(toRecord);
}

/** Move a pending job to another pending status; returns the status it had. */
export function setJobStatus(db: Db, id: number, status: PendingJobStatus): JobStatus {
  return guarded("update", () =>
    db
      .transaction(() => {
        const row = rowOf(db, id);
        if (!row) throw notFound("update", id);
        if (FINAL_JOB_STATUSES.has(row.status)) throw jobEndedError("update", id, row.status);
        if (row.status !== status) db.prepare("UPDATE jobs SET status = ? WHERE id = ?").run(status, id);
        return row.status;
      })
      .immediate(),
  );
}

/** Mark a queued or waiting job running, recording when it started. */
export function startJob(db: Db, id: number): JobRecord {
  return guarded("update", () =>
    db
      .transaction(() => {
        const row = rowOf(db, id);
        if (!row) throw notFound("start", id);
        if (FINAL_JOB_STATUSES.has(row.status)) throw jobEndedError("start", id, row.status);
        if (row.status === "running") {
          throw new GuestosError("JOB_RUNNING", `Cannot start job ${id}: it is already running`);
        }
        const ts = nowTs();
        // A job that waited for locks in the middle of its run keeps its first start time.
        return toRecord(
          db
            .prepare(
              "UPDATE jobs SET status = 'running', start_ts = coalesce(start_ts, ?) WHERE id = ? RETURNING *",
            )
            .get(ts, id) as JobRow,
        );
      })
      .immediate(),
  );
}

/**
 * End a job with its result or error, and in the same transaction release its locks and forget its
 * resources (the caller has cleaned them). A job canceled meanwhile stays canceled: only the cleanup applies.
 */
export function finishJob(
  db: Db,
  id: number,
  outcome: { result: unknown; now?: number } | { error: JobError; now?: number },
): JobRecord {
  return guarded("update", () =>
    db
      .transaction(() => {
        const row = rowOf(db, id);
        if (!row) throw notFound("finish", id);
        if (row.status === "success" || row.status === "error") throw jobEndedError("finish", id, row.status);
        db.prepare("DELETE FROM locks WHERE job_id = ?").run(id);
        db.prepare("DELETE FROM job_resources WHERE job_id = ?").run(id);
        if (row.status === "canceled") return toRecord(row);
        const ts = outcome.now ?? nowTs();
        const [status, result, error] =
          "error" in outcome
            ? ["error", null, JSON.stringify(outcome.error)]
            : ["success", jsonOrNull(outcome.result), null];
        return toRecord(
          db
            .prepare("UPDATE jobs SET status = ?, end_ts = ?, result = ?, error = ? WHERE id = ? RETURNING *")
            .get(status, ts, result, error, id) as JobRow,
        );
      })
      .immediate(),
  );
}

function jsonOrNull(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

/**
 * Cancel a job that has not started (queued) or is waiting for locks, releasing any locks it holds; its
 * process notices at its next lock poll or startJob. Returns Ganeti's (success, message) pair.
 */
export function cancelJob(db: Db, id: number): { canceled: boolean; message: string } {
  return guarded("update", () =>
    db
      .transaction(() => {
        const row = rowOf(db, id);
        if (!row) return { canceled: false, message: `Job ${id} not found` };
        if (row.status !== "queued" && row.status !== "waiting") {
          return { canceled: false, message: `Job ${id} is no longer waiting in the queue` };
        }
        const error: JobError = { code: "JOB_CANCELED", message: "Job canceled by request", hint: null };
        db.prepare("UPDATE jobs SET status = 'canceled', end_ts = ?, error = ? WHERE id = ?").run(
          nowTs(),
          JSON.stringify(error),
          id,
        );
        db.prepare("DELETE FROM locks WHERE job_id = ?").run(id);
        const message = row.status === "queued" ? `Job ${id} canceled` : `Job ${id} will be canceled`;
        return { canceled: true, message };
      })
      .immediate(),
  );
}

/** Append a line to the job's log; seq counts from 1 per job. */
export function appendJobLog(
  db: Db,
  id: number,
  kind: JobLogKind,
  text: string,
  opts: { hint?: string | null; now?: number } = {},
): JobLogEntry {
  // One statement: the next seq is computed and taken atomically, whatever other writers do.
  const row = guarded("update", () =>
    db
      .prepare(
        `INSERT INTO job_log (job_id, seq, ts, kind, text, hint)
         SELECT j.id, (SELECT coalesce(max(seq), 0) + 1 FROM job_log WHERE job_id = j.id), ?, ?, ?, ?
         FROM jobs j WHERE j.id = ? RETURNING *`,
      )
      .get(opts.now ?? nowTs(), kind, text, opts.hint ?? null, id),
  ) as LogRow | undefined;
  if (!row) throw notFound("log to", id);
  return toEntry(row);
}

/** Record an OS script log file the job wrote. */
export function addJobLogFile(db: Db, id: number, path: string): void {
  const info = guarded("update", () =>
    db.prepare("UPDATE jobs SET log_files = json_insert(log_files, '$[#]', ?) WHERE id = ?").run(path, id),
  );
  if (info.changes === 0) throw notFound("record a log file of", id);
}

/** The job's log lines after `afterSeq` (all by default), in order. */
export function jobLog(db: Db, id: number, opts: { afterSeq?: number } = {}): JobLogEntry[] {
  const rows = guarded("read", () =>
    db.prepare("SELECT * FROM job_log WHERE job_id = ? AND seq > ? ORDER BY seq").all(id, opts.afterSeq ?? 0),
  ) as LogRow[];
  return rows.map(toEntry);
}

/**
 * Record something the job must not leave behind if its process dies: a temp path, a loop device's backing
 * file, or `<pgid>:<leader start time>` (pgidResource). Recording it twice is harmless.
 */
export function addJobResource(db: Db, id: number, kind: JobResourceKind, value: string): void {
  guarded("update", () =>
    db
      .transaction(() => {
        const row = db.prepare("SELECT status FROM jobs WHERE id = ?").get(id) as
          { status: JobStatus } | undefined;
        if (!row) throw notFound("record a resource of", id);
        // Recovery only looks at pending jobs: a resource of an ended job would never be cleaned.
        if (FINAL_JOB_STATUSES.has(row.status)) throw jobEndedError("record a resource of", id, row.status);
        db.prepare("INSERT OR IGNORE INTO job_resources (job_id, kind, value) VALUES (?, ?, ?)").run(
          id,
          kind,
          value,
        );
      })
      .immediate(),
  );
}

/** Forget a resource the job has cleaned up itself. */
export function removeJobResource(db: Db, id: number, kind: JobResourceKind, value: string): void {
  guarded("update", () =>
    db.prepare("DELETE FROM job_resources WHERE job_id = ? AND kind = ? AND value = ?").run(id, kind, value),
  );
}

/** The `pgid` resource value for the process group led by `pgid`; null when that process is gone. */
export function pgidResource(pgid: number): string | null {
  const start = processStartTime(pgid);
  return start === null ? null : `${pgid}:${start}`;
}

/** The resources recorded for the job. */
export function jobResources(db: Db, id: number): { kind: JobResourceKind; value: string }[] {
  return guarded("read", () =>
    db.prepare("SELECT kind, value FROM job_resources WHERE job_id = ? ORDER BY rowid").all(id),
  ) as { kind: JobResourceKind; value: string }[];
}
