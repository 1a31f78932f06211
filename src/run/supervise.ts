import type { ChildProcess } from "node:child_process";
import os from "node:os";

import { GuestosError } from "../errors.js";
import { sizeReader, tailBuffer, type TailBuffer } from "./collect.js";
import { failReason, type Termination } from "./failure.js";
import { groupAlive, signalGroup } from "./procgroup.js";
import { readPipe, writePipe, type PipeReader, type PipeWriter } from "./streams.js";
import type { RunOptions, RunResult, StdoutSpec } from "./types.js";

const CAPTURE_LIMIT = 1024 * 1024;
const DEFAULT_KILL_GRACE_MS = 5000;
const GONE_POLL_MS = 20;

/** Our ends of the script's pipes (undefined where the script got a file, an fd or /dev/null). */
export interface Wiring {
  stdinFd: number | undefined;
  stdoutFd: number | undefined;
  stderrFd: number | undefined;
  sizeFd: number | undefined;
  stdout: StdoutSpec;
  logPath: string | null;
}

function signalNumber(name: NodeJS.Signals | null): number | null {
  return name === null ? null : ((os.constants.signals as Record<string, number>)[name] ?? null);
}

/** Watch a started script: feed and drain its pipes, enforce timeout and abort, and build the result. */
export function supervise(child: ChildProcess, pid: number, opts: RunOptions, w: Wiring): Promise<RunResult> {
  const argv0 = opts.argv[0]!;
  const limit = opts.captureLimit ?? CAPTURE_LIMIT;
  const graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;

  return new Promise<RunResult>((resolve, reject) => {
    let ioError: { what: string; err: Error } | null = null;
    let stopCause: "timeout" | "abort" | null = null;
    let killed = false;
    let graceOver = false;
    let graceTimer: NodeJS.Timeout | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let done = false;

    const stop = (cause: "timeout" | "abort"): void => {
      if (stopCause !== null || exit !== null) return;
      stopCause = cause;
      try {
        signalGroup(pid, "SIGTERM");
      } catch {
        // EPERM on a member that changed its uid: the SIGKILL below is the next try
      }
      graceTimer = setTimeout(() => {
        graceOver = true;
        if (groupAlive(pid)) {
          killed = true;
          try {
            signalGroup(pid, "SIGKILL");
          } catch {
            // as above
          }
        }
        maybeFinish();
      }, graceMs);
    };
    const failIo = (what: string) => (err: Error) => {
      ioError ??= { what, err };
      stop("abort");
    };

    const readers: PipeReader[] = [];
    const unhook: (() => void)[] = [];
    const outBuf: TailBuffer | null =
      w.stdoutFd !== undefined && w.stdout === "capture" ? tailBuffer(limit) : null;
    const errBuf: TailBuffer | null = w.stderrFd !== undefined ? tailBuffer(limit) : null;
    let dest: NodeJS.WritableStream | null = null;
    if (w.stdoutFd !== undefined) {
      if (outBuf) {
        readers.push(readPipe(w.stdoutFd, (c) => outBuf.push(c), failIo("stdout")));
      } else {
        dest = w.stdout as NodeJS.WritableStream;
        const d = dest;
        const reader = readPipe(
          w.stdoutFd,
          (c) => {
            if (!d.write(c)) reader.pause();
          },
          failIo("stdout"),
        );
        const onDrain = (): void => reader.resume();
        const onDestError = failIo("the stdout stream");
        d.on("drain", onDrain);
        d.on("error", onDestError);
        unhook.push(() => {
          d.removeListener("drain", onDrain);
          d.removeListener("error", onDestError);
        });
        readers.push(reader);
      }
    }
    if (w.stderrFd !== undefined)
      readers.push(readPipe(w.stderrFd, (c) => errBuf!.push(c), failIo("stderr")));
    const size = sizeReader();
    if (w.sizeFd !== undefined) readers.push(readPipe(w.sizeFd, (c) => size.push(c), failIo("EXP_SIZE_FD")));
    let writer: PipeWriter | null = null;
    if (w.stdinFd !== undefined) {
      writer = writePipe(w.stdinFd, opts.stdin as NodeJS.ReadableStream, failIo("stdin"));
    }

    const timeoutTimer =
      opts.timeoutMs !== undefined && opts.timeoutMs > 0
        ? setTimeout(() => stop("timeout"), opts.timeoutMs)
        : undefined;
    const onAbort = (): void => stop("abort");
    opts.signal?.addEventListener("abort", onAbort, { once: true });

    const finish = async (): Promise<void> => {
      opts.signal?.removeEventListener("abort", onAbort);
      clearTimeout(graceTimer);
      if (killed) {
        // SIGKILL is sent; wait (bounded) until the members are really gone, so the caller can rely on it.
        const until = Date.now() + Math.max(1000, graceMs);
        while (groupAlive(pid) && Date.now() < until) {
          await new Promise((r) => setTimeout(r, GONE_POLL_MS));
        }
      }
      if (dest && !ioError) {
        // Resolve only once all the script wrote has been handed through.
        const d = dest;
        await new Promise<void>((r) => d.write(Buffer.alloc(0), () => r()));
      }
      for (const f of unhook) f();
      const { code, signal: sigName } = exit!;
      const signal = signalNumber(sigName);
      if (ioError) {
        reject(
          new GuestosError(
            "SCRIPT_IO",
            `Cannot run "${argv0}": ${ioError.what} failed: ${ioError.err.message}`,
            {
              cause: ioError.err,
            },
          ),
        );
        return;
      }
      const term: Termination | null =
        stopCause === null
          ? null
          : {
              cause: stopCause,
              seconds: (opts.timeoutMs ?? 0) / 1000,
              killed,
              lingerSeconds: graceMs / 1000,
            };
      // Unlike Ganeti's RunResult, a run stopped by timeout or abort counts as failed even if it exited 0.
      const failed = signal !== null || code !== 0 || term !== null;
      resolve({
        exitCode: signal !== null ? null : code,
        signal,
        timedOut: stopCause === "timeout",
        aborted: stopCause === "abort",
        output: (outBuf?.text("stdout") ?? "") + (errBuf?.text("stderr") ?? ""),
        expSize: size.value(),
        failed,
        failReason: failed ? failReason(code, signal, term) : null,
        logFile: w.logPath,
        pid,
      });
    };

    const maybeFinish = (): void => {
      if (done || exit === null) return;
      if (stopCause !== null && !graceOver) {
        // Stopping: done once nothing of the group lives, or when the grace timer has dealt with the rest.
        if (groupAlive(pid)) return;
      }
      done = true;
      finish().catch(reject);
    };

    child.on("exit", (code, sig) => {
      exit = { code, signal: sig };
      clearTimeout(timeoutTimer);
      for (const r of readers) r.finish();
      size.end();
      writer?.finish();
      maybeFinish();
    });

    try {
      opts.onSpawn?.(pid);
    } catch (err) {
      failIo("onSpawn")(err as Error);
    }
  });
}
