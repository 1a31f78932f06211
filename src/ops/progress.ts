import { formatProgress } from "../backup/index.js";
import type { JobContext } from "./job.js";
import type { OpOptions } from "./types.js";

/** How often a transfer writes a progress line into the job log. */
const LOG_EVERY_MS = 5000;

/**
 * Progress of one disk transfer: every update goes to opts.onProgress (a terminal bar), and a line in
 * Ganeti's format (`disk/0 sent 512M, 25.0 MiB/s, 50%, ETA 10s`) goes to the job log every few seconds.
 */
export function progressReporter(
  ctx: JobContext,
  label: string,
  expected: number | null,
  opts: OpOptions,
): { update: (bytes: number, total?: number | null) => void; done: (bytes: number | null) => void } {
  const started = Date.now();
  let lastLog = started;
  let total = expected;
  return {
    update(bytes, announced) {
      if (announced) total = announced;
      const now = Date.now();
      opts.onProgress?.({ label, bytes, total, elapsedMs: now - started, done: false });
      if (now - lastLog >= LOG_EVERY_MS) {
        lastLog = now;
        ctx.log("message", `${label} sent ${formatProgress(bytes, total, now - started)}`);
      }
    },
    done(bytes) {
      opts.onProgress?.({ label, bytes: bytes ?? 0, total, elapsedMs: Date.now() - started, done: true });
    },
  };
}
