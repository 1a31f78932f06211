import { GuestosError } from "../errors.js";
import { JOB_STATUSES, type JobStatus } from "../node/types.js";
import { formatLogLine, renderJobInfo, renderJobList, watchHeader } from "./jobrender.js";
import { withNode, type NodeOptions } from "./nodeopen.js";
import { unknownFieldsResult, type CommandResult } from "./output.js";

function jobIds(args: string[]): number[] {
  return args.map((a) => {
    if (!/^\d+$/.test(a)) throw new GuestosError("BAD_JOB_ID", `Invalid job ID passed: ${a}`);
    return Number(a);
  });
}

/** `guestos job list [ID...]` with gnt-job's status filters. */
export async function jobList(
  ids: string[],
  opts: NodeOptions & {
    output?: string | undefined;
    headers?: boolean | undefined;
    separator?: string | undefined;
    pending?: boolean | undefined;
    running?: boolean | undefined;
    error?: boolean | undefined;
    finished?: boolean | undefined;
  },
): Promise<CommandResult> {
  const statuses: JobStatus[] = [];
  if (opts.pending) statuses.push("queued", "waiting");
  if (opts.running) statuses.push("running");
  if (opts.error) statuses.push("error");
  if (opts.finished) statuses.push("success", "error", "canceled");
  const { queryJobs } = await import("../ops/jobs.js");
  return withNode(opts, (node) => {
    const jobs = queryJobs(node, {
      ...(ids.length > 0 ? { ids: jobIds(ids) } : {}),
      ...(statuses.length > 0 ? { statuses: statuses.filter((s) => JOB_STATUSES.includes(s)) } : {}),
    });
    if (opts.json) return { json: jobs };
    const out = renderJobList(jobs, {
      ...(opts.output ? { fields: opts.output } : {}),
      noHeaders: opts.headers === false,
      ...(opts.separator !== undefined ? { separator: opts.separator } : {}),
    });
    return unknownFieldsResult(out);
  });
}

/** `guestos job info ID...`. */
export async function jobInfo(ids: string[], opts: NodeOptions): Promise<CommandResult> {
  const { jobDetails } = await import("../ops/jobs.js");
  return withNode(opts, (node) => {
    const details = jobDetails(node, jobIds(ids));
    if (opts.json) return { json: details };
    return { lines: renderJobInfo(details) };
  });
}

/** `guestos job watch ID`: the log so far, then new lines until the job ends; exit 1 if it failed. */
export async function jobWatch(id: string, opts: NodeOptions): Promise<CommandResult> {
  const [jobId] = jobIds([id]);
  const { watchJob } = await import("../ops/jobs.js");
  return withNode(opts, async (node) => {
    if (!opts.json) process.stdout.write(`${watchHeader(jobId!).join("\n")}\n`);
    const job = await watchJob(node, jobId!, (e) => {
      if (!opts.json) process.stdout.write(`${formatLogLine(e).join("\n")}\n`);
    });
    if (opts.json) return { json: job, exitCode: job.status === "success" ? 0 : 1 };
    if (job.status === "success") return {};
    const why = job.error ? job.error.message : "Job was canceled";
    process.stderr.write(`Job ${jobId} failed: ${why}\n`);
    return { exitCode: 1 };
  });
}

/** `guestos job cancel ID...`: Ganeti's message per job on stdout; exit 1 if any could not be canceled. */
export async function jobCancel(ids: string[], opts: NodeOptions): Promise<CommandResult> {
  const { cancelJobs } = await import("../ops/jobs.js");
  return withNode(opts, (node) => {
    const results = cancelJobs(node, jobIds(ids));
    const exitCode = results.every((r) => r.canceled) ? 0 : 1;
    if (opts.json) return { json: results, exitCode };
    return { lines: results.map((r) => r.message), exitCode };
  });
}
