import fs from "node:fs";
import { Worker } from "node:worker_threads";

import { GuestosError, errnoName } from "../errors.js";
import {
  CONTROL_BYTES,
  HASH_WORKER_SOURCE,
  STATE_ABORT,
  STATE_FINAL,
  type HashWorkerResult,
} from "./hashworker.js";

/*
 * sha256 of a dump computed beside the copy, not in it: a worker thread reads the same file (by pread on an
 * fd of ours) while a child writes it (export) or reads it (import). Memory is one buffer of `chunkBytes`.
 */

const DEFAULT_CHUNK = 4 * 1024 * 1024;

/** A running hash of one file. */
export interface HashJob {
  /** The file will not grow past `bytes`: hash up to there, then resolve. */
  end(bytes: number): void;
  /** Stop now; `done` rejects with ABORTED. */
  abort(): void;
  /** Bytes hashed so far. */
  position(): number;
  /** The hex sha256 and the number of bytes hashed. */
  done: Promise<{ sha256: string; bytes: number }>;
}

/** Options of startHash. */
export interface HashOptions {
  /** The final size when already known (import); else call `end` once the writer is done. */
  size?: number;
  /** Read size; default 4 MiB. */
  chunkBytes?: number;
  /** For messages: the file the fd refers to. */
  label?: string;
}

/**
 * Hash the file open as `fd` (kept open by the caller until `done` settles) in a worker thread, following
 * it while it grows until its final size is known.
 */
export function startHash(fd: number, opts: HashOptions = {}): HashJob {
  const label = opts.label ?? `fd ${fd}`;
  const control = new SharedArrayBuffer(CONTROL_BYTES);
  const state = new Int32Array(control, 0, 2);
  const sizes = new BigInt64Array(control, 8, 2);
  const setState = (s: number): void => {
    Atomics.store(state, 0, s);
    Atomics.notify(state, 0);
  };
  const end = (bytes: number): void => {
    if (Atomics.load(state, 0) !== 0) return;
    sizes[0] = BigInt(bytes);
    setState(STATE_FINAL);
  };
  if (opts.size !== undefined) end(opts.size);

  const worker = new Worker(HASH_WORKER_SOURCE, {
    eval: true,
    workerData: { fd, chunkBytes: opts.chunkBytes ?? DEFAULT_CHUNK, control },
    // No loader (tsx) and no inherited flags: the worker needs only builtins, and starts faster without.
    execArgv: [],
    env: {},
    stdout: false,
    stderr: false,
  });
  const done = new Promise<{ sha256: string; bytes: number }>((resolve, reject) => {
    let settled = false;
    worker.once("message", (r: HashWorkerResult) => {
      settled = true;
      if (r.ok) resolve({ sha256: r.hex, bytes: r.bytes });
      else if (r.error === "aborted") reject(new GuestosError("ABORTED", `Cannot hash "${label}": aborted`));
      else reject(new GuestosError("HASH_FAILED", `Cannot hash "${label}": ${r.message}`));
    });
    worker.once("error", (err) => {
      settled = true;
      reject(new GuestosError("HASH_FAILED", `Cannot hash "${label}": ${err.message}`, { cause: err }));
    });
    worker.once("exit", (code) => {
      if (!settled)
        reject(
          new GuestosError("HASH_FAILED", `Cannot hash "${label}": the worker exited with code ${code}`),
        );
    });
  });
  // Callers may abort and never await; the rejection must not count as unhandled.
  done.catch(() => undefined);
  return {
    end,
    abort: () => setState(STATE_ABORT),
    position: () => Number(sizes[1]),
    done,
  };
}

/** The hex sha256 of a whole file, read in a worker thread. */
export async function sha256File(path: string, opts: { chunkBytes?: number } = {}): Promise<string> {
  let fd: number;
  try {
    fd = fs.openSync(path, "r");
  } catch (err) {
    throw new GuestosError("HASH_FAILED", `Cannot hash "${path}": ${errnoName(err)}`, { cause: err });
  }
  try {
    const size = fs.fstatSync(fd).size;
    return (await startHash(fd, { size, label: path, ...opts }).done).sha256;
  } finally {
    fs.closeSync(fd);
  }
}
