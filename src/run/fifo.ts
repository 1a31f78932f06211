import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { GuestosError, errnoName } from "../errors.js";

/*
 * Real pipes for the script's stdio. Node's stdio "pipe" is a socketpair, and on Linux open("/dev/stdin"),
 * open("/dev/stderr") or open("/proc/self/fd/N") of a socket fails with ENXIO, so the common
 * `echo msg >/dev/stderr` of a verify script, or `echo $size >/dev/fd/$EXP_SIZE_FD` under dash, would break
 * where Ganeti (os.pipe) works. Node cannot make an anonymous pipe and guestos runs no shell, so each pipe is a
 * FIFO made in a private directory, opened at both ends and unlinked at once. It behaves as an os.pipe() for
 * reads, writes, EOF and reopening through /dev/stdin or /proc while both ends are open. One difference
 * remains: reopening a FIFO for reading after every writer is gone blocks (an anonymous pipe gives EOF). So
 * stdin "eof" is /dev/null rather than a pipe closed at once (a script reading it, or opening /dev/stdin,
 * gets EOF either way; only `[ -p /dev/stdin ]` tells), and a script that opens /dev/stdin only after a fed
 * stream has ended and been fully written waits there (until the timeout, if any).
 */

/** The two ends of one pipe: `child` goes into the script's fd table (blocking), `parent` stays here. */
export interface PipePair {
  child: number;
  parent: number;
}

const MKFIFO = ["/usr/bin/mkfifo", "/bin/mkfifo"].find((p) => fs.existsSync(p)) ?? "mkfifo";

function mkfifo(paths: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(MKFIFO, ["-m", "600", "--", ...paths], { env: {}, timeout: 30_000 }, (err, _out, stderr) => {
      if (err) reject(new Error(stderr.trim() || err.message, { cause: err }));
      else resolve();
    });
  });
}

/** Where the child writes and we read (capture, EXP_SIZE_FD) or the child reads and we write (stdin). */
export type PipeDirection = "fromChild" | "toChild";

/**
 * Make real pipes, one per requested direction. Every fd is close-on-exec in this process (Node opens with
 * O_CLOEXEC); the spawn puts `child` at its place in the script's fd table. `parent` ends are non-blocking.
 */
export async function makePipes(directions: PipeDirection[]): Promise<PipePair[]> {
  if (directions.length === 0) return [];
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "guestos-pipe-"));
  const opened: number[] = [];
  try {
    const paths = directions.map((_, i) => path.join(dir, `p${i}`));
    try {
      await mkfifo(paths);
    } catch (err) {
      throw new GuestosError("PIPE", `Cannot create pipes in "${dir}": ${(err as Error).message}`, {
        cause: err,
      });
    }
    const { O_RDONLY, O_WRONLY, O_NONBLOCK } = fs.constants;
    const open = (p: string, flags: number): number => {
      const fd = fs.openSync(p, flags);
      opened.push(fd);
      return fd;
    };
    return directions.map((direction, i) => {
      const p = paths[i]!;
      // A non-blocking reader first, so that opening the writer does not block; with a writer open, the
      // blocking reader a script gets opens at once.
      const reader = open(p, O_RDONLY | O_NONBLOCK);
      if (direction === "fromChild") return { parent: reader, child: open(p, O_WRONLY) };
      const writer = open(p, O_WRONLY | O_NONBLOCK);
      const child = open(p, O_RDONLY);
      fs.closeSync(reader);
      opened.splice(opened.indexOf(reader), 1);
      return { parent: writer, child };
    });
  } catch (err) {
    for (const fd of opened) closeQuietly(fd);
    if (err instanceof GuestosError) throw err;
    throw new GuestosError("PIPE", `Cannot open pipes in "${dir}": ${errnoName(err)}`, { cause: err });
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

/** close(2) that ignores EBADF and friends: for cleanup paths only. */
export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    fs.closeSync(fd);
  } catch {
    // already closed or never valid: nothing to clean up
  }
}
