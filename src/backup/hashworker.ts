/*
 * The body of the hashing worker thread, kept as source text and started with `eval: true`: a separate
 * module file would have to be found next to the code at run time, which differs between tsx, tsc's dist/
 * and the esbuild bundle of the CLI. It uses only Node builtins, so no loader is needed in the worker.
 *
 * Protocol over a SharedArrayBuffer (no messages in the copy path):
 *   Int32  [0] state: 0 = the file may still grow, 1 = its final size is in BigInt64 [0], 2 = abort
 *   BigInt64 [0] final size, [1] bytes hashed so far (read by the parent for progress)
 * The worker reads the fd with explicit positions (pread), so it never moves an offset a child shares.
 * When it catches up with a growing file it sleeps on the state word (woken at once by a state change,
 * else after at most MAX_WAIT_MS). At the end it posts { ok, hex, bytes } or { ok: false, error, bytes }.
 */

/** Layout of the shared control block. */
export const CONTROL_BYTES = 32;
export const STATE_GROWING = 0;
export const STATE_FINAL = 1;
export const STATE_ABORT = 2;

/** What the worker posts when it ends. */
export type HashWorkerResult =
  | { ok: true; hex: string; bytes: number }
  | { ok: false; error: "short" | "io" | "aborted"; message: string; bytes: number };

/** Source of the worker (CommonJS, run with `eval: true`). */
export const HASH_WORKER_SOURCE = `
"use strict";
const { workerData, parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const { createHash } = require("node:crypto");
const MAX_WAIT_MS = 20;
const { fd, chunkBytes, control } = workerData;
const state = new Int32Array(control, 0, 2);
const sizes = new BigInt64Array(control, 8, 2);
const buf = Buffer.allocUnsafe(chunkBytes);
const hash = createHash("sha256");
let pos = 0;
let waitMs = 1;
function end(result) {
  sizes[1] = BigInt(pos);
  parentPort.postMessage(result);
}
for (;;) {
  const s = Atomics.load(state, 0);
  if (s === ${STATE_ABORT}) {
    end({ ok: false, error: "aborted", message: "aborted", bytes: pos });
    break;
  }
  const final = s === ${STATE_FINAL} ? Number(sizes[0]) : -1;
  const want = final >= 0 ? Math.min(chunkBytes, final - pos) : chunkBytes;
  if (want <= 0) {
    end({ ok: true, hex: hash.digest("hex"), bytes: pos });
    break;
  }
  let n;
  try {
    n = fs.readSync(fd, buf, 0, want, pos);
  } catch (err) {
    end({ ok: false, error: "io", message: String(err && err.code ? err.code : err), bytes: pos });
    break;
  }
  if (n > 0) {
    hash.update(n === buf.length ? buf : buf.subarray(0, n));
    pos += n;
    sizes[1] = BigInt(pos);
    waitMs = 1;
    continue;
  }
  if (final >= 0) {
    end({ ok: false, error: "short", message: "it ends at " + pos + " bytes, expected " + final, bytes: pos });
    break;
  }
  Atomics.wait(state, 0, ${STATE_GROWING}, waitMs);
  waitMs = Math.min(waitMs * 2, MAX_WAIT_MS);
}
`;
