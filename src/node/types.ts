/**
 * The node's records, as the store keeps them and as ops and the CLI see them. Parameter dicts hold the
 * instance's OWN values (what the operator set); the node's defaults fill the rest when a script runs
 * (Ganeti's FillHV/FillBE/SimpleFillOS). Private OS parameter values never appear in these records.
 */

/** Disk templates a guestos node can create or adopt. */
export const NODE_DISK_TEMPLATES = ["file", "blockdev", "diskless"] as const;
export type NodeDiskTemplate = (typeof NODE_DISK_TEMPLATES)[number];

/** Ganeti's admin state; guestos never starts instances, so it is `down` unless set otherwise. */
export type AdminState = "up" | "down" | "offline";

/**
 * Whether the OS is on the disks (guestos's own addition; Ganeti only logs it):
 * `installed` after a successful create/reinstall, `pending` while one runs or before the first,
 * `failed` when the last one failed or was interrupted (lastError says why), `skipped` for
 * --no-install, adopted disks and diskless instances.
 */
export type InstallState = "installed" | "pending" | "failed" | "skipped";

/** A parameter value as Ganeti types it: str, int, float, bool, None or a list. */
export type ParamValue = string | number | boolean | null | ParamValue[];
export type ParamDict = Record<string, ParamValue>;

/** One disk of an instance. */
export interface DiskRecord {
  uuid: string;
  index: number;
  /** MiB, as Ganeti stores disk sizes. */
  size: number;
  mode: "rw" | "ro";
  name: string | null;
  /** The image file (template file) or the block device (blockdev). */
  path: string;
  /** Adopted block devices are never created, wiped or deleted by guestos. */
  adopted: boolean;
}

/** One NIC. `mode` and `link` null mean "the node's nicparams default". */
export interface NicRecord {
  uuid: string;
  index: number;
  mac: string;
  ip: string | null;
  mode: string | null;
  link: string | null;
  vlan: string | null;
  name: string | null;
  network: string | null;
}

/** One instance as stored. */
export interface InstanceRecord {
  uuid: string;
  name: string;
  /** `name` or `name+variant`, as given. */
  os: string;
  hypervisor: string;
  diskTemplate: NodeDiskTemplate;
  adminState: AdminState;
  installState: InstallState;
  /** The message of the last failed job on this instance, cleared by the next success. */
  lastError: string | null;
  /** Seconds since the epoch, with fractions (Ganeti's float times). */
  ctime: number;
  mtime: number;
  serialNo: number;
  hvparams: ParamDict;
  beparams: ParamDict;
  osparams: Record<string, string>;
  /** Names only: the values live apart in the store and are never printed. */
  osparamsPrivateKeys: string[];
  tags: string[];
  disks: DiskRecord[];
  nics: NicRecord[];
}

/** Job statuses, as gnt-job names them. */
export const JOB_STATUSES = ["queued", "waiting", "running", "canceled", "success", "error"] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(["success", "error", "canceled"]);

/** A job's error: the GuestosError code, message and hint it ended with. */
export interface JobError {
  code: string;
  message: string;
  hint: string | null;
}

/** One job: every change to the node is one. Times are float seconds since the epoch. */
export interface JobRecord {
  id: number;
  /** Ganeti's opcode id without `OP_`: INSTANCE_CREATE, INSTANCE_REINSTALL, INSTANCE_RENAME, ... */
  op: string;
  /** The instance (or OS) the job works on; null for node-wide jobs. */
  target: string | null;
  status: JobStatus;
  priority: number;
  receivedTs: number;
  startTs: number | null;
  endTs: number | null;
  /** The opcode's input fields, private and secret values already masked. */
  input: Record<string, unknown>;
  result: unknown;
  error: JobError | null;
  /** OS script logs the job wrote, in order. */
  logFiles: string[];
  /** The process running the job, and its start time (from /proc) so a reused pid is not mistaken for it. */
  pid: number | null;
  pidStart: string | null;
}

/** Kinds of job log lines, rendered as gnt-job does (§2.3 of the CLI conventions). */
export type JobLogKind = "message" | "info" | "warning" | "step";

/** One line of a job's log. */
export interface JobLogEntry {
  jobId: number;
  seq: number;
  ts: number;
  kind: JobLogKind;
  text: string;
  /** LogWarning's optional hint line. */
  hint: string | null;
}

/** Things a job leaves behind if the process dies, cleaned by recovery at the next start. */
export type JobResourceKind = "tempfile" | "tempdir" | "loopfile" | "pgid";

/** One such thing: a path, a loop device's backing file, or a process group id. */
export interface JobResource {
  jobId: number;
  kind: JobResourceKind;
  value: string;
}

/** NIC parameters after the node's defaults are applied (Ganeti's FillNIC). */
export interface FilledNicParams {
  mode: string;
  link: string;
  vlan: string;
}

/**
 * An instance as shown by `instance list` and `instance info`: the record plus the node's name and the
 * filled parameters (node defaults, then per-OS ones, then the instance's own).
 */
export interface InstanceView extends InstanceRecord {
  /** The node's name (Ganeti shows names; scripts get the node's uuid). */
  primaryNode: string;
  primaryNodeUuid: string;
  filled: {
    hvparams: ParamDict;
    beparams: ParamDict;
    /** Public OS parameters, filled; private ones appear only by name in osparamsPrivateKeys. */
    osparams: Record<string, string>;
    nics: FilledNicParams[];
  };
}
