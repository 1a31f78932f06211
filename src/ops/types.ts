import type { JobLogEntry, NodeDiskTemplate, ParamDict } from "../node/types.js";

/** One `--disk N:...` request: a new disk of `size` MiB, or an adopted block device. */
export interface DiskRequest {
  index: number;
  /** MiB; null for an adopted disk (its size comes from the device). */
  size: number | null;
  adopt: string | null;
  mode: "rw" | "ro";
  name: string | null;
}

/** One `--net N:...` request. null mode/link/vlan mean the node's nicparams default. */
export interface NicRequest {
  index: number;
  /** "auto" | "generate" | a normalised (lower-case) aa:bb:cc:dd:ee:ff. */
  mac: string;
  /** null, "pool" (an address from `network`) or an IPv4/IPv6 address. */
  ip: string | null;
  mode: string | null;
  link: string | null;
  vlan: string | null;
  name: string | null;
  network: string | null;
}

/** Everything `instance add` needs. Parameters are already typed (src/node/params.ts). */
export interface AddRequest {
  name: string;
  /** `name` or `name+variant`. */
  os: string;
  template: NodeDiskTemplate;
  disks: DiskRequest[];
  nics: NicRequest[];
  osparams?: Record<string, string>;
  osparamsPrivate?: Record<string, string>;
  /** Given to the scripts of this job only; never stored. */
  osparamsSecret?: Record<string, string>;
  /** null: the node's default hypervisor. */
  hypervisor?: string | null;
  hvparams?: ParamDict;
  beparams?: ParamDict;
  tags?: string[];
  noInstall?: boolean;
  forceVariant?: boolean;
}

/** What every operation accepts besides its request. */
export interface OpOptions {
  /** Each job log line as it is written (the CLI prints them as gnt-* does). */
  onLog?: (entry: JobLogEntry) => void;
  /** Called with the job id as soon as the job exists. */
  onJob?: (id: number) => void;
  /** Wait for a busy instance instead of failing at once. */
  wait?: boolean;
  /** Script timeout in seconds; default: the node config's. */
  timeout?: number | null;
  /** Ganeti's debug level (DEBUG_LEVEL for create, reinstall and rename). */
  debugLevel?: number;
  signal?: AbortSignal;
  /** Each progress update of a disk transfer (export, import), for a terminal progress bar. */
  onProgress?: (p: TransferProgress) => void;
}

/** Where one disk transfer stands. `total` is the expected byte count when known. */
export interface TransferProgress {
  label: string;
  bytes: number;
  total: number | null;
  elapsedMs: number;
  done: boolean;
}

/** The outcome of a job-backed operation. */
export interface OpResult<T> {
  jobId: number;
  result: T;
}
