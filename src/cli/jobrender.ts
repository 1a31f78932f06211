/*
 * `guestos job list|info|watch` and the progress lines of every waiting command, rendered as gnt-job and
 * cli.PollJob render them (gnt_job.py ListJobs, ShowJobs, WatchJob; cli.py FormatLogMessage).
 */
import type { JobLogEntry, JobRecord } from "../node/types.js";
import { dict, genericInfoLines, inline, pairs, type Info, type InfoEntry } from "./genericinfo.js";
import {
  commaJoined,
  fieldTable,
  parseFields,
  pyText,
  renderFieldList,
  renderQuery,
  UNAVAIL,
  type FieldDef,
  type FormatOverride,
  type ListOpts,
  type ListResult,
} from "./query.js";
import { ctime, formatTimestamp, splitTime, type TimeOpts } from "./timefmt.js";
import type { MeasuredCell } from "./table.js";
import { pyFormatFixed } from "../node/units.js";

/** Ganeti's utils.SafeEncode: non-ASCII as backslash escapes, control characters as `\xNN`, `\n`, `\t`. */
export function safeEncode(text: string): string {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c > 0x7f) {
      // Python's "backslashreplace", whose output the loop below then leaves alone.
      out += c <= 0xff ? `\\x${hex(c, 2)}` : c <= 0xffff ? `\\u${hex(c, 4)}` : `\\U${hex(c, 8)}`;
    } else if (ch === "\t") out += "\\t";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r")
      out += "\\'r"; // sic: Ganeti's r'\'r'
    else if (c < 32 || c === 127) out += `\\x${hex(c, 2)}`;
    else out += ch;
  }
  return out;
}

const hex = (n: number, w: number): string => n.toString(16).padStart(w, "0");

/**
 * The feedback messages Ganeti's job would have logged for one entry: LogInfo's ` - INFO: `, LogWarning's
 * ` - WARNING: ` plus a separate `      Hint: ` message, and the `* ` of a step (added if missing).
 */
export function logMessages(entry: JobLogEntry): string[] {
  switch (entry.kind) {
    case "info":
      return [` - INFO: ${entry.text}`];
    case "warning": {
      const out = entry.text ? [` - WARNING: ${entry.text}`] : [];
      if (entry.hint !== null) out.push(`      Hint: ${entry.hint}`);
      return out;
    }
    case "step":
      return [entry.text.startsWith("* ") ? entry.text : `* ${entry.text}`];
    default:
      return [entry.text];
  }
}

/** One log entry as a waiting command prints it: `time.ctime(ts) + " " + message`, one line per message. */
export function formatLogLine(entry: JobLogEntry, opts: TimeOpts = {}): string[] {
  const when = ctime(entry.ts, opts);
  return logMessages(entry).map((m) => `${when} ${safeEncode(m)}`);
}

/** gnt-job watch's header: `Output from job 42 follows` and a rule of the same length. */
export function watchHeader(id: number): string[] {
  const msg = `Output from job ${id} follows`;
  return [msg, "-".repeat(msg.length)];
}

/** Ganeti opcodes that have no OP_DSC_FIELD, so their summary is the bare name (opcodes.py, 3.0). */
const NO_DESCRIPTION: ReadonlySet<string> = new Set(
  (
    "CLUSTER_ACTIVATE_MASTER_IP CLUSTER_CONFIG_QUERY CLUSTER_DEACTIVATE_MASTER_IP CLUSTER_DESTROY " +
    "CLUSTER_POST_INIT CLUSTER_QUERY CLUSTER_REDIST_CONF CLUSTER_RENEW_CRYPTO CLUSTER_REPAIR_DISK_SIZES " +
    "CLUSTER_SET_PARAMS CLUSTER_VERIFY CLUSTER_VERIFY_CONFIG CLUSTER_VERIFY_DISKS EXT_STORAGE_DIAGNOSE " +
    "GROUP_RENAME INSTANCE_MULTI_ALLOC INSTANCE_QUERY_DATA INSTANCE_RENAME NODE_QUERYVOLS NODE_QUERY_STORAGE " +
    "OOB_COMMAND OS_DIAGNOSE RESTRICTED_COMMAND TAGS_DEL TAGS_SET TEST_DUMMY TEST_JQUEUE TEST_OS_PARAMS"
  ).split(" "),
);

/** The opcode summary: `INSTANCE_CREATE(web1)`, or the bare name for ops without a description field. */
export function jobSummary(job: Pick<JobRecord, "op" | "target">): string {
  return NO_DESCRIPTION.has(job.op) || job.target === null ? job.op : `${job.op}(${job.target})`;
}

/** The opcode's input as Ganeti stores it: its parameters plus OP_ID. */
const opInput = (job: JobRecord): Record<string, unknown> => ({ ...job.input, OP_ID: `OP_${job.op}` });

/** The op's result; a failed op's is its encoded error, `[code, [message(, hint)]]`, like Ganeti's. */
function opResult(job: JobRecord): unknown {
  if (job.status === "error" && job.error) {
    const args = job.error.hint === null ? [job.error.message] : [job.error.message, job.error.hint];
    return [job.error.code, args];
  }
  if (job.status === "canceled" && job.result === null) return "Job canceled by request";
  return job.result ?? null;
}

const rawTs = (ts: number | null): unknown => (ts === null ? UNAVAIL : splitTime(ts));

type JobField = FieldDef<JobRecord>;
const JOB_FIELDS: ReadonlyMap<string, JobField> = fieldTable<JobRecord>([
  { name: "id", title: "ID", kind: "number", doc: "Job ID", get: (j) => j.id },
  { name: "status", title: "Status", kind: "text", doc: "Job status", get: (j) => j.status },
  {
    name: "priority",
    title: "Priority",
    kind: "number",
    doc: "Current job priority (19 to -20)",
    get: (j) => j.priority,
  },
  { name: "archived", title: "Archived", kind: "bool", doc: "Whether job is archived", get: () => false },
  { name: "ops", title: "OpCodes", kind: "other", doc: "List of all opcodes", get: (j) => [opInput(j)] },
  {
    name: "opresult",
    title: "OpCode_result",
    kind: "other",
    doc: "List of opcodes results",
    get: (j) => [opResult(j)],
  },
  {
    name: "opstatus",
    title: "OpCode_status",
    kind: "other",
    doc: "List of opcodes status",
    get: (j) => [j.status],
  },
  {
    name: "opstart",
    title: "OpCode_start",
    kind: "other",
    doc: "List of opcode start timestamps (before acquiring locks)",
    get: (j) => [j.startTs],
  },
  {
    name: "opexec",
    title: "OpCode_exec",
    kind: "other",
    doc: "List of opcode execution start timestamps (after acquiring locks)",
    get: (j) => [j.startTs],
  },
  {
    name: "opend",
    title: "OpCode_end",
    kind: "other",
    doc: "List of opcode execution end timestamps",
    get: (j) => [j.endTs],
  },
  {
    name: "oppriority",
    title: "OpCode_prio",
    kind: "other",
    doc: "List of opcode priorities",
    get: (j) => [j.priority],
  },
  {
    name: "summary",
    title: "Summary",
    kind: "other",
    doc: "List of per-opcode summaries",
    get: (j) => [jobSummary(j)],
  },
  {
    name: "received_ts",
    title: "Received",
    kind: "other",
    doc: "Timestamp of when job was received (tuple containing seconds and microseconds)",
    get: (j) => rawTs(j.receivedTs),
  },
  {
    name: "start_ts",
    title: "Start",
    kind: "other",
    doc: "Timestamp of job start (tuple containing seconds and microseconds)",
    get: (j) => rawTs(j.startTs),
  },
  {
    name: "end_ts",
    title: "End",
    kind: "other",
    doc: "Timestamp of job end (tuple containing seconds and microseconds)",
    get: (j) => rawTs(j.endTs),
  },
]);

/** gnt-job list's default fields. */
export const DEFAULT_JOB_FIELDS: readonly string[] = ["id", "status", "summary"];

/** Options of `job list`: `fields` is the -o value (`a,b` or `+a,b`). */
export interface JobListOpts extends Omit<ListOpts, "units"> {
  fields?: string | undefined;
}

/** The job table, one row per job in the given order (the caller sorts by id). */
export function renderJobList(jobs: readonly JobRecord[], opts: JobListOpts = {}): ListResult {
  // Ganeti's override returns a list, which FormatTable measures with len() (its element count) and
  // prints with str(); with --separator Ganeti crashes on it, guestos prints the str().
  const opTimes = (v: unknown): MeasuredCell => {
    const times = (v as (number | null)[]).map((ts) => formatTimestamp(ts, opts));
    return { text: pyText(times), width: times.length };
  };
  const override: FormatOverride = {
    summary: commaJoined,
    opstart: opTimes,
    opexec: opTimes,
    opend: opTimes,
  };
  return renderQuery(JOB_FIELDS, jobs, parseFields(opts.fields, DEFAULT_JOB_FIELDS), { ...opts, override });
}

/** `job list-fields [F...]`. */
export function renderJobListFields(
  fields: readonly string[] = [],
  opts: Pick<ListOpts, "noHeaders" | "separator"> = {},
): ListResult {
  return renderFieldList(JOB_FIELDS, fields, opts);
}

/** A JSON value in PrintGenericInfo's terms: lists as items, dicts with sorted keys, scalars via str(). */
function jsonInfo(value: unknown): Info {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(jsonInfo);
  if (value !== null && typeof value === "object") {
    return dict(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonInfo(v)])));
  }
  return pyText(value);
}

/** Ganeti's _CalcDelta on (seconds, microseconds) pairs, printed with 6 decimals. */
function delta(from: number, to: number): string {
  const [fs, fu] = splitTime(from);
  const [ts, tu] = splitTime(to);
  return pyFormatFixed(ts - fs + (tu - fu) / 1000000, 6);
}

function jobTimestamp(name: string, ts: number | null, opts: TimeOpts, prior?: number | null): InfoEntry {
  if (ts === null) return [name, "unknown (None)", "job_timestamp"];
  const d = prior === null || prior === undefined ? "" : ` (delta ${delta(prior, ts)}s)`;
  return [name, `${formatTimestamp(ts, opts)}${d}`, "job_timestamp"];
}

const opTimestamp = (name: string, ts: number | null, opts: TimeOpts): InfoEntry => [
  name,
  ts === null ? "N/A" : formatTimestamp(ts, opts),
  "opcode_timestamp",
];

function jobInfo(job: JobRecord, log: readonly JobLogEntry[], opts: TimeOpts): Info {
  let serial = 0;
  const execLog: Info[] = [];
  for (const entry of [...log].sort((a, b) => a.seq - b.seq)) {
    for (const msg of logMessages(entry)) {
      serial += 1;
      execLog.push(
        pairs([
          ["Time", formatTimestamp(entry.ts, opts)],
          ["Content", inline([String(serial), "message", safeEncode(msg)])],
        ]),
      );
    }
  }
  const opcode = pairs([
    ["Opcode", `OP_${job.op}`],
    ["Status", job.status],
    opTimestamp("Processing start", job.startTs, opts),
    opTimestamp("Execution start", job.startTs, opts),
    opTimestamp("Processing end", job.endTs, opts),
    ["Input fields", jsonInfo(opInput(job))],
    ["Result", jsonInfo(opResult(job))],
    ["Execution log", execLog],
  ]);
  const total = job.endTs === null ? "N/A" : `${delta(job.receivedTs, job.endTs)} seconds`;
  return pairs([
    ["Job ID", String(job.id)],
    ["Status", job.status],
    jobTimestamp("Received", job.receivedTs, opts),
    jobTimestamp("Processing start", job.startTs, opts, job.receivedTs),
    jobTimestamp("Processing end", job.endTs, opts, job.startTs),
    ["Total processing time", total],
    ["Opcodes", [opcode]],
  ]);
}

/** What `job info` shows per asked id: the job with its log, or the id that was not found. */
export type JobInfoItem = { job: JobRecord; log: readonly JobLogEntry[] } | { missing: number };

/** `job info ID...` in gnt-job info's layout; an unknown id prints `- Job ID 8 not found` (exit 0). */
export function renderJobInfo(items: readonly JobInfoItem[], opts: TimeOpts = {}): string[] {
  return genericInfoLines(
    items.map((it) => ("missing" in it ? `Job ID ${it.missing} not found` : jobInfo(it.job, it.log, opts))),
  );
}
