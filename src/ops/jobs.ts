import { setTimeout as sleep } from "node:timers/promises";
import { GuestosError } from "../errors.js";
import { cancelJob, getJob, jobLog, listJobs } from "../node/index.js";
import type { NodeHandle } from "../node/node.js";
import { FINAL_JOB_STATUSES, type JobLogEntry, type JobRecord, type JobStatus } from "../node/types.js";

/** Jobs for `job list`, by id; optionally only some ids or statuses. */
export function queryJobs(
  node: NodeHandle,
  opts: { ids?: number[]; statuses?: JobStatus[] } = {},
): JobRecord[] {
  return listJobs(node.db, opts);
}

/** Jobs with their logs for `job info`; ids that do not exist come back as `{missing}`. */
export function jobDetails(
  node: NodeHandle,
  ids: number[],
): Array<{ job: JobRecord; log: JobLogEntry[] } | { missing: number }> {
  return ids.map((id) => {
    const job = getJob(node.db, id);
    return job ? { job, log: jobLog(node.db, id) } : { missing: id };
  });
}

/**
 * Follow a job's log until it ends (gnt-job watch): every entry so far, then new ones as they come,
 * polling the store. Resolves with the finished job.
 */
export async function watchJob(
  node: NodeHandle,
  id: number,
  onEntry: (e: JobLogEntry) => void,
  opts: { pollMs?: number; signal?: AbortSignal } = {},
): Promise<JobRecord> {
  let seq = -1;
  for (;;) {
    const job = getJob(node.db, id);
    if (!job) throw new GuestosError("JOB_UNKNOWN", `Job ID ${id} not found`);
    for (const e of jobLog(node.db, id, { afterSeq: seq })) {
      onEntry(e);
      seq = e.seq;
    }
    if (FINAL_JOB_STATUSES.has(job.status)) {
      // Entries written between the log read and the status read.
      for (const e of jobLog(node.db, id, { afterSeq: seq })) onEntry(e);
      return job;
    }
    await sleep(opts.pollMs ?? 200, undefined, opts.signal ? { signal: opts.signal } : {});
  }
}

/** Cancel jobs that have not started (gnt-job cancel): Ganeti's (success, message) per job. */
export function cancelJobs(
  node: NodeHandle,
  ids: number[],
): { id: number; canceled: boolean; message: string }[] {
  return ids.map((id) => ({ id, ...cancelJob(node.db, id) }));
}
