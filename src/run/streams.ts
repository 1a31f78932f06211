import fs from "node:fs";
import net from "node:net";

/*
 * Our ends of the script's pipes, wrapped as libuv pipe handles (net.Socket over an fd). The run ends when the
 * script (the group leader) exits, not when every pipe reaches EOF: a child it left behind may hold a pipe
 * open forever. At the leader's exit all it wrote is already in the pipe, so `finish` takes what is buffered
 * here and in the kernel, synchronously, and closes. Output written later by leftover children is not read.
 */

const CHUNK = 64 * 1024;
// The kernel pipe holds at most 1 MiB unless raised; a leftover child still writing must not keep us here.
const DRAIN_MAX = 4 * 1024 * 1024;

/** A pipe we read from. */
export interface PipeReader {
  /** Deliver what is still buffered (ours and the kernel's), then close the pipe. */
  finish(): void;
  pause(): void;
  resume(): void;
}

/** Read the pipe whose (non-blocking) read end is `fd`, handing each chunk to `onData`. */
export function readPipe(
  fd: number,
  onData: (chunk: Buffer) => void,
  onError: (err: Error) => void,
): PipeReader {
  const sock = new net.Socket({ fd, readable: true, writable: false });
  let finished = false;
  sock.on("data", (chunk: Buffer) => {
    if (!finished) onData(chunk);
  });
  sock.on("error", (err) => {
    if (!finished) onError(err);
  });
  return {
    pause: () => sock.pause(),
    resume: () => sock.resume(),
    finish() {
      if (finished) return;
      sock.pause();
      // read() hands each buffered chunk to the "data" listener above.
      while (sock.read() !== null);
      // Only while the socket is open is `fd` still ours; after EOF it is closed and the number may be reused.
      if (!sock.destroyed) {
        const buf = Buffer.allocUnsafe(CHUNK);
        for (let total = 0; total < DRAIN_MAX;) {
          let n: number;
          try {
            n = fs.readSync(fd, buf, 0, CHUNK, null);
          } catch {
            break; // EAGAIN: nothing more for now
          }
          if (n === 0) break;
          onData(Buffer.from(buf.subarray(0, n)));
          total += n;
        }
      }
      finished = true;
      sock.destroy();
    },
  };
}

/** A pipe we write into (the script's stdin). */
export interface PipeWriter {
  /** Stop feeding the script and close our end. */
  finish(): void;
}

/**
 * Feed `source` into the pipe whose (non-blocking) write end is `fd`. EPIPE means the script closed its stdin
 * or exited without reading everything: not an error of ours, the script's exit status tells. The source is
 * the caller's: it is unpiped, never destroyed.
 */
export function writePipe(
  fd: number,
  source: NodeJS.ReadableStream,
  onError: (err: Error) => void,
): PipeWriter {
  const sock = new net.Socket({ fd, readable: false, writable: true });
  let finished = false;
  const stop = (): void => {
    if (finished) return;
    finished = true;
    source.unpipe(sock);
    source.removeListener("error", onSourceError);
    sock.destroy();
  };
  const onSourceError = (err: Error): void => {
    if (!finished) onError(err);
    stop();
  };
  sock.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE" && err.code !== "ECONNRESET" && !finished) onError(err);
    stop();
  });
  source.on("error", onSourceError);
  source.pipe(sock);
  return { finish: stop };
}
