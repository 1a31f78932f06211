import { GuestosError, isGuestosError } from "../errors.js";
import {
  acquireLocks,
  addJobLogFile,
  addJobResource,
  appendJobLog,
  createJob,
  finishJob,
  removeJobResource,
  startJob,
  storeError,
  withReserve,
} from "../node/index.js";
import type { NodeHandle } from "../node/node.js";
import type { JobLogKind, JobResourceKind } from "../node/types.js";
import type { OpOptions, OpResult } from "./types.js";

/** A better-sqlite3 failure (SQLITE_FULL, SQLITE_IOERR...) that a job body let through unwrapped. */
function isSqliteError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_");
}

/** Jobs allowed on a full disk: they free space. */
const FREES_SPACE: ReadonlySet<string> = new Set(["INSTANCE_REMOVE"]);

/** What a job body gets: its id, the node, and ways to log and to register what it leaves behind. */
export interface JobContext {
  id: number;
  node: NodeHandle;
  log(kind: JobLogKind, text: string, hint?: string): void;
  addResource(kind: JobResourceKind, value: string): void;
  removeResource(kind: JobResourceKind, value: string): void;
  addLogFile(path: string): void;
  signal: AbortSignal | undefined;
}

/** How to describe the job: Ganeti's opcode id (without OP_), the target, the (masked) input, the locks. */
export interface JobSpec {
  op: string;
  target: string | null;
  input: Record<string, unknown>;
  locks: string[];
}

/**
 * Run `body` as a job: record it, take its locks (failing at once, or waiting with opts.wait), run it,
 * and record success or the error. The error is rethrown after it is recorded.
 */
export async function runJob<T>(
  node: NodeHandle,
  spec: JobSpec,
  opts: OpOptions,
  body: (ctx: JobContext) => Promise<T>,
): Promise<OpResult<T>> {
  const { db } = node;
  if (node.lowSpace && !FREES_SPACE.has(spec.op)) {
    throw new GuestosError(
      "STORE_FULL",
      `Cannot start ${spec.op}${spec.target ? ` on ${spec.target}` : ""}: the disk holding the guestos home (${node.home}) is full`,
      { hint: "free some space; removing instances (guestos instance remove) works while the disk is full" },
    );
  }
  const job = createJob(db, { op: spec.op, target: spec.target, input: spec.input });
  opts.onJob?.(job.id);
  const ctx: JobContext = {
    id: job.id,
    node,
    log: (kind, text, hint) => {
      const entry = appendJobLog(db, job.id, kind, text, hint === undefined ? {} : { hint });
      opts.onLog?.(entry);
    },
    addResource: (kind, value) => addJobResource(db, job.id, kind, value),
    removeResource: (kind, value) => removeJobResource(db, job.id, kind, value),
    addLogFile: (path) => addJobLogFile(db, job.id, path),
    signal: opts.signal,
  };
  try {
    await acquireLocks(db, job.id, spec.locks, {
      wait: opts.wait ?? false,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    startJob(db, job.id);
    const result = await body(ctx);
    withReserve(node.home, () => finishJob(db, job.id, { result: result ?? null }));
    return { jobId: job.id, result };
  } catch (err) {
    const e = isGuestosError(err)
      ? err
      : isSqliteError(err)
        ? storeError("update", err)
        : new GuestosError("INTERNAL", `Job ${job.id} failed: ${(err as Error)?.message ?? String(err)}`, {
            cause: err,
          });
    try {
      withReserve(node.home, () =>
        finishJob(db, job.id, { error: { code: e.code, message: e.message, hint: e.hint ?? null } }),
      );
    } catch {
      // The store itself failed (disk full...): the original error is the one to report.
    }
    throw e;
  }
}
