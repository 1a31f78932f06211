import fs from "node:fs";

import { makePipes } from "../run/index.js";

/*
 * A real pipe between two children (export script → zstd, cat or zstd -d → import script), both ends
 * blocking as the programs expect, plus an optional non-blocking read end of our own ("peek"). Reopening
 * the FIFO through /proc/self/fd gives a new open file description, so its blocking flag is its own.
 */

type End = "read" | "write" | "ourWrite" | "peek";

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // already closed: nothing to clean up
  }
}

/** Two blocking ends for children, and optionally a non-blocking reader or writer for us; -1 = none/closed. */
export interface ChildPipe {
  /** Blocking read end (a child's stdin). */
  read: number;
  /** Blocking write end (a child's stdout); -1 with `ourWriter`. */
  write: number;
  /** Our non-blocking write end (only with `ourWriter`). */
  ourWrite: number;
  /** Our non-blocking read end (only with `peek`): what is left in the pipe after its reader is gone. */
  peek: number;
  /** Close one end here (once the child that got a copy has started), exactly once. */
  closeEnd(end: End): void;
  /** Close every end still open here. */
  close(): void;
}

/** Options of childPipe. */
export interface ChildPipeOptions {
  /** Keep a non-blocking read end for ourselves. */
  peek?: boolean;
  /** The writer is this process (a non-blocking end for a net.Socket), not a child. */
  ourWriter?: boolean;
}

/** Make one pipe whose ends go to children (see ChildPipe). */
export async function childPipe(opts: ChildPipeOptions = {}): Promise<ChildPipe> {
  const { O_RDONLY, O_NONBLOCK } = fs.constants;
  const p: ChildPipe = {
    read: -1,
    write: -1,
    ourWrite: -1,
    peek: -1,
    closeEnd(end) {
      if (p[end] >= 0) closeQuietly(p[end]);
      p[end] = -1;
    },
    close() {
      for (const end of ["read", "write", "ourWrite", "peek"] as const) p.closeEnd(end);
    },
  };
  try {
    if (opts.ourWriter) {
      const [pair] = await makePipes(["toChild"]);
      p.ourWrite = pair!.parent;
      p.read = pair!.child;
      if (opts.peek) p.peek = fs.openSync(`/proc/self/fd/${p.read}`, O_RDONLY | O_NONBLOCK);
    } else {
      const [pair] = await makePipes(["fromChild"]);
      p.peek = pair!.parent;
      p.write = pair!.child;
      // A writer is open, so this blocking open returns at once.
      p.read = fs.openSync(`/proc/self/fd/${p.peek}`, O_RDONLY);
      if (!opts.peek) p.closeEnd("peek");
    }
  } catch (err) {
    p.close();
    throw err;
  }
  return p;
}

/**
 * Bytes waiting in the pipe behind `peek` (reads and discards at most `max`): > 0 when something is
 * left, 0 at EOF (all writers gone, nothing left), null when the pipe is empty but a writer is still open.
 */
export function peekPipe(peek: number, max = 64 * 1024): number | null {
  const buf = Buffer.allocUnsafe(Math.min(max, 64 * 1024));
  try {
    return fs.readSync(peek, buf, 0, buf.length, null);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EAGAIN") return null;
    throw err;
  }
}
