/** The fd number of the size pipe in the script (what EXP_SIZE_FD says). */
export const EXP_SIZE_FD = 3;

/** The script's stdin: a pipe closed at once, /dev/null, an fd of ours, or a stream fed through a pipe. */
export type StdinSpec = "eof" | "devnull" | number | NodeJS.ReadableStream;
/** The script's stdout: the log file, memory, an fd of ours (given to the script as is), or a stream. */
export type StdoutSpec = "log" | "capture" | number | NodeJS.WritableStream;

/** How to run one script. */
export interface RunOptions {
  /** argv[0] is the absolute script path; executed directly, no shell. */
  argv: string[];
  /** The OS directory. */
  cwd: string;
  /** The complete environment: nothing is inherited. */
  env: Record<string, string>;
  /** Default "eof": the script reads EOF at once (create, rename, verify); /dev/null, see fifo.ts. */
  stdin?: StdinSpec;
  /** Default "log" when logFile is set, else "capture". */
  stdout?: StdoutSpec;
  /** Receives stderr, and stdout when stdout is "log". A new file (suffixed when the name is taken). */
  logFile?: string;
  /** Append to logFile at exactly that path instead, as Ganeti does (two runs may share it). */
  appendLog?: boolean;
  /** Capture stdout (and stderr when there is no log file) in memory, bounded. */
  capture?: boolean;
  /** Bytes kept per captured stream (the last ones); default 1 MiB. */
  captureLimit?: number;
  /** On expiry SIGTERM to the whole process group, SIGKILL after killGraceMs. */
  timeoutMs?: number;
  /** Default 5000 (Ganeti's CHILD_LINGER_TIMEOUT). */
  killGraceMs?: number;
  /** Add EXP_SIZE_FD=3 and read the byte count the script writes there. */
  sizeFd?: boolean;
  /** Abort = the same kill sequence as a timeout. */
  signal?: AbortSignal;
  /** Called with the script's pid (= its process group id) once it runs. */
  onSpawn?: (pid: number) => void;
}

/** The outcome of a script that ran. */
export interface RunResult {
  /** null when killed by a signal. */
  exitCode: number | null;
  /** Signal number (e.g. 9), as Ganeti prints it. */
  signal: number | null;
  timedOut: boolean;
  aborted: boolean;
  /** Captured stdout then stderr (capture mode), else "". */
  output: string;
  /** Bytes the script reported on EXP_SIZE_FD. */
  expSize: number | null;
  /** Exit status not 0, a signal, or stopped by timeout/abort. */
  failed: boolean;
  /** Ganeti's RunResult.fail_reason, null when not failed. */
  failReason: string | null;
  /** The log file actually written (differs from logFile when that name was taken). */
  logFile: string | null;
  pid: number;
}
