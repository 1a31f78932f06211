import { GuestosError } from "../errors.js";
import type { DumpIoOptions } from "./dumptypes.js";

/*
 * The limits of one transfer beyond the script itself. runPlanned enforces timeoutMs and the abort signal
 * on the script (SIGTERM to its group, SIGKILL after the grace); what follows the script's exit — waiting for
 * zstd to flush, for a feeder, for the hash — is bounded here by the same deadline and signal.
 */

/** "disk/N" for messages: the option, else the plan's EXPORT_INDEX / IMPORT_INDEX. */
export function diskLabel(opts: DumpIoOptions): string {
  const env = opts.plan.env;
  const index = opts.disk ?? Number(env.EXPORT_INDEX ?? env.IMPORT_INDEX ?? 0);
  return `disk/${index}`;
}

/** Deadline and abort for the parts of a transfer that are not the script. */
export interface TransferControl {
  /** Wait for `p`, or reject with TIMEOUT / ABORTED (after running the onStop callbacks). */
  race<T>(p: Promise<T>): Promise<T>;
  /** Run `fn` when the deadline passes or the signal aborts. */
  onStop(fn: () => void): void;
  /** The error of a stop, or null while running. */
  stopped(): GuestosError | null;
  dispose(): void;
}

/** A TransferControl for `opts` (timeoutMs, signal); `what` words the error, e.g. `export disk/0`. */
export function transferControl(opts: DumpIoOptions, what: string): TransferControl {
  let error: GuestosError | null = null;
  const callbacks: (() => void)[] = [];
  let rejectStop: (err: GuestosError) => void = () => undefined;
  const stoppedP = new Promise<never>((_, reject) => {
    rejectStop = reject;
  });
  stoppedP.catch(() => undefined);

  const stop = (err: GuestosError): void => {
    if (error) return;
    error = err;
    for (const fn of callbacks.splice(0)) {
      try {
        fn();
      } catch {
        // cleanup callbacks must not hide the stop itself
      }
    }
    rejectStop(err);
  };
  const timer =
    opts.timeoutMs !== undefined && opts.timeoutMs > 0
      ? setTimeout(
          () =>
            stop(new GuestosError("TIMEOUT", `Cannot ${what}: timed out after ${opts.timeoutMs! / 1000} s`)),
          opts.timeoutMs,
        )
      : undefined;
  const onAbort = (): void => stop(new GuestosError("ABORTED", `Cannot ${what}: aborted`));
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  return {
    race: (p) => Promise.race([p, stoppedP]),
    onStop(fn) {
      if (error) fn();
      else callbacks.push(fn);
    },
    stopped: () => error,
    dispose() {
      clearTimeout(timer);
      opts.signal?.removeEventListener("abort", onAbort);
    },
  };
}

/** Call `fn` every `ms` until the returned function is called. */
export function every(ms: number, fn: () => void): () => void {
  const timer = setInterval(() => {
    try {
      fn();
    } catch {
      // progress is advisory: a failing callback must not break the transfer
    }
  }, ms);
  return () => clearInterval(timer);
}

/** SIGKILL to what is left of a script's process group after its leader exited (past the deadline). */
export function killGroup(pid: number | null): void {
  if (pid === null) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}
