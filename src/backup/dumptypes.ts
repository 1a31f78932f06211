import type { ScriptPlan } from "../run/planned.js";

/** How a dump file is stored. Ganeti's own exports are always "none". */
export type Compression = "none" | "gzip" | "zstd";

/**
 * Called about once a second. Export: bytes the script wrote so far, of the disk size when known. Import:
 * bytes of the dump file fed so far, of its size (so compressed dumps show true percentages too).
 */
export type ProgressFn = (bytes: number, expected: number | null) => void;

/** What writeDump and readDump share. */
export interface DumpIoOptions {
  /** The planned export or import script (planScript in src/ops/runscript.ts). */
  plan: ScriptPlan;
  /** The dump file: created by writeDump (must not exist), read by readDump. */
  dumpPath: string;
  compression: Compression;
  /** For messages ("disk/N"); default: the plan's EXPORT_INDEX / IMPORT_INDEX. */
  disk?: number;
  /** Limit for the whole transfer; on expiry the script's process group is killed. */
  timeoutMs?: number;
  signal?: AbortSignal;
  onProgress?: ProgressFn;
  /** Default 1000. */
  progressIntervalMs?: number;
  /** Where zstd, cat and fallocate are looked up; default $PATH. */
  toolPath?: string;
  /** Called with the script's pid (= its process group) once it runs. */
  onSpawn?: (pid: number) => void;
  /** Called with the log file actually written, once the script has ended. */
  onLogFile?: (path: string) => void;
}

/** Options of writeDump. */
export interface WriteDumpOptions extends DumpIoOptions {
  /** The disk's size in bytes: the progress total until the script's EXP_SIZE_FD figure, and the empty-output check. */
  diskBytes?: number;
  /** Punch holes into all-zero blocks of an uncompressed dump; default true. */
  sparse?: boolean;
}

/** What writeDump produced. */
export interface DumpWritten {
  /** sha256 of the dump file as stored (compressed bytes when compressed). */
  sha256: string;
  /** Size of the dump file. */
  bytes: number;
  /** Bytes the script wrote (before compression), null when zstd did not say. */
  rawBytes: number | null;
  /** What the script announced on EXP_SIZE_FD, null when it did not. */
  expSize: number | null;
  /** True when all-zero blocks were made holes ("none" only). */
  sparse: boolean;
  logFile: string | null;
}

/** Options of readDump. */
export interface ReadDumpOptions extends DumpIoOptions {
  /** sha256 recorded at export; absent for exports made by Ganeti (nothing to verify). */
  sha256?: string | null;
  /** Dump file size recorded at export; absent for Ganeti's exports. */
  bytes?: number | null;
}

/** What readDump did. */
export interface DumpRead {
  /** True when a recorded sha256 was compared and matched; false when there was none to compare. */
  verified: boolean;
  /** sha256 of the dump file as read. */
  sha256: string;
  /** Size of the dump file. */
  bytes: number;
  /**
   * Bytes of the (decompressed) stream the script left unread when it exited successfully, at most
   * UNREAD_TOLERANCE (more is an IMPORT_UNREAD error).
   */
  unreadBytes: number;
  logFile: string | null;
}
