import fs from "node:fs";
import net from "node:net";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";

import { GuestosError, errnoName } from "../errors.js";
import { runPlanned, type ScriptOutcome } from "../run/planned.js";
import { diskLabel, every, killGroup, transferControl, type TransferControl } from "./dumpcontrol.js";
import type { DumpRead, ReadDumpOptions } from "./dumptypes.js";
import { startHash } from "./hash.js";
import { childPipe, peekPipe, type ChildPipe } from "./streampipe.js";
import { defaultToolPath, requireTool, spawnTool, toolFailure } from "./streamtool.js";

/*
 * Import: the script's stdin is a pipe, as in Ganeti, fed by `cat` ("none"), `zstd -d` ("zstd") or
 * node:zlib ("gzip"); the feeders read the dump through one fd of ours while a worker hashes that fd.
 *
 * Why a pipe even for "none", where the dump's fd could be the script's stdin: only a pipe lets us tell a
 * script that stopped reading early. We keep a non-blocking read end of it; once the script has exited, any
 * byte still in the pipe or still coming from the feeder is input the script never read, and EOF on our end
 * means everything was consumed. With a file as stdin the shared offset would have to serve, and it misses
 * scripts that reopen /dev/stdin (which restarts at offset 0) or pread it. A pipe is also what the script
 * gets from Ganeti. Measured cost: one extra pipe hop, hidden behind the hash (see bench/backup.ts).
 */

const PEEK_POLL_MS = 10;

/** Feeds the pipe from the dump. */
interface Feeder {
  /** Bytes of the dump read so far. */
  consumed(): number;
  kill(): void;
  /** Resolves with an error message when the feeder failed on its own, null when it finished or was killed. */
  done: Promise<string | null>;
}

function toolFeeder(argv: string[], fd: number, pipe: ChildPipe, dumpPath: string): Feeder {
  const tool = spawnTool(argv, { stdin: fd, stdout: pipe.write });
  pipe.closeEnd("write");
  let last = 0;
  const name = argv[0]!.split("/").pop()!;
  const verb = name === "zstd" ? "decompress" : "read";
  return {
    consumed() {
      last = tool.io()?.rchar ?? last;
      return last;
    },
    kill: () => tool.kill(),
    done: tool.exited.then((e) =>
      e.code === 0 || e.killed
        ? null
        : `${name} could not ${verb} "${dumpPath}" (${toolFailure(e)})${e.stderr ? `: ${e.stderr.split("\n").slice(-3).join(" / ")}` : ""}`,
    ),
  };
}

function gzipFeeder(fd: number, pipe: ChildPipe, dumpPath: string): Feeder {
  // Its own open of the file: destroying an fs stream closes its fd even with autoClose: false.
  const own = fs.openSync(`/proc/self/fd/${fd}`, "r");
  const source = fs.createReadStream("", { fd: own, highWaterMark: 1024 * 1024 });
  const gunzip = zlib.createGunzip();
  const sock = new net.Socket({ fd: pipe.ourWrite, readable: false, writable: true });
  pipe.ourWrite = -1; // the socket owns and closes it
  let killed = false;
  const done = pipeline(source, gunzip, sock).then(
    () => null,
    (err: NodeJS.ErrnoException) =>
      killed || err.code === "EPIPE"
        ? null
        : `the gzip dump "${dumpPath}" cannot be decompressed: ${err.message}`,
  );
  return {
    consumed: () => source.bytesRead,
    kill() {
      killed = true;
      sock.destroy();
      gunzip.destroy();
    },
    done,
  };
}

/**
 * What a script may leave unread and still succeed: a pipe's worth. Ganeti's `dd | import` pipe drops what
 * is still buffered when the script exits, and real scripts rely on it (`restore -r` stops at the dump's
 * end marker, a few KiB before the end of a dump(8) stream).
 */
export const UNREAD_TOLERANCE = 64 * 1024;

/**
 * After the script's exit: how many bytes of input it left (what is in the pipe plus what the feeder
 * still writes), counted up to just past UNREAD_TOLERANCE.
 */
async function inputLeft(pipe: ChildPipe, control: TransferControl): Promise<number> {
  let left = 0;
  while (control.stopped() === null && left <= UNREAD_TOLERANCE) {
    const n = peekPipe(pipe.peek);
    if (n === 0) return left;
    if (n === null) await new Promise((r) => setTimeout(r, PEEK_POLL_MS));
    else left += n;
  }
  return left;
}

/** Open a dump and check it is a regular file of the recorded size (when there is one). */
function openDump(
  dumpPath: string,
  opts: { what: string; bytes: number | null },
): { fd: number; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(dumpPath, "r");
  } catch (err) {
    throw new GuestosError(
      "DUMP_MISSING",
      `Cannot ${opts.what}: cannot open the dump "${dumpPath}": ${errnoName(err)}`,
      {
        cause: err,
      },
    );
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new GuestosError(
      "DUMP_MISSING",
      `Cannot ${opts.what}: the dump "${dumpPath}" is not a regular file`,
    );
  }
  if (opts.bytes !== null && st.size !== opts.bytes) {
    fs.closeSync(fd);
    throw new GuestosError(
      st.size < opts.bytes ? "DUMP_TRUNCATED" : "DUMP_SIZE",
      `Cannot ${opts.what}: the dump "${dumpPath}" has ${st.size} bytes, the export recorded ${opts.bytes}`,
    );
  }
  return { fd, size: st.size };
}

/**
 * The checks readDump makes before it runs anything (the dump is there, a regular file, of the recorded
 * size), for a caller that wants them before it creates anything.
 */
export function checkDump(dumpPath: string, opts: { disk: number; bytes?: number | null }): void {
  const { fd } = openDump(dumpPath, { what: `import disk/${opts.disk}`, bytes: opts.bytes ?? null });
  fs.closeSync(fd);
}

/** Feed a dump to a planned import script, verifying the dump's sha256 and size when they were recorded. */
export async function readDump(opts: ReadDumpOptions): Promise<DumpRead> {
  const disk = diskLabel(opts);
  const what = `import ${disk}`;
  const toolPath = opts.toolPath ?? defaultToolPath();
  const tool =
    opts.compression === "zstd"
      ? requireTool("zstd", toolPath, `${what} from a zstd dump`)
      : opts.compression === "none"
        ? requireTool("cat", toolPath, what)
        : null;

  const { fd, size } = openDump(opts.dumpPath, { what, bytes: opts.bytes ?? null });

  const expected = opts.sha256 ? opts.sha256.toLowerCase() : null;
  const control = transferControl(opts, what);
  const hash = startHash(fd, { size, label: opts.dumpPath });
  let pipe: ChildPipe | null = null;
  let feeder: Feeder | null = null;
  let scriptPid: number | null = null;
  let scriptDone = false;
  const stopTicker: (() => void)[] = [];
  try {
    pipe = await childPipe({ peek: true, ourWriter: opts.compression === "gzip" });
    const p = pipe;
    feeder = tool
      ? toolFeeder(opts.compression === "zstd" ? [tool, "-d", "-c", "-q"] : [tool], fd, p, opts.dumpPath)
      : gzipFeeder(fd, p, opts.dumpPath);
    const f = feeder;
    control.onStop(() => {
      f.kill();
      hash.abort();
      if (scriptDone) killGroup(scriptPid);
    });
    stopTicker.push(
      every(opts.progressIntervalMs ?? 1000, () => opts.onProgress?.(Math.min(f.consumed(), size), size)),
    );

    let outcome: ScriptOutcome | null = null;
    let scriptError: Error | null = null;
    try {
      outcome = await runPlanned(opts.plan, {
        stdin: p.read,
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        onSpawn: (pid) => {
          scriptPid = pid;
          p.closeEnd("read");
          opts.onSpawn?.(pid);
        },
        ...(opts.onLogFile ? { onLogFile: opts.onLogFile } : {}),
      });
    } catch (err) {
      scriptError = err instanceof Error ? err : new Error(String(err));
    }
    scriptDone = true;
    p.closeEnd("read");
    const left = await inputLeft(p, control);
    const unread = left > UNREAD_TOLERANCE;
    if (unread) f.kill();
    p.closeEnd("peek");
    const feederError = await control.race(f.done);
    stopTicker.splice(0).forEach((stop) => stop());

    const failure =
      feederError !== null
        ? new GuestosError("DUMP_CORRUPT", `Cannot ${what}: ${feederError}`)
        : scriptError
          ? scriptError
          : unread
            ? new GuestosError(
                "IMPORT_UNREAD",
                `Cannot ${what}: the import script exited without reading all of the dump "${opts.dumpPath}"`,
                { hint: "the script must read its standard input to the end" },
              )
            : null;
    // A bad dump explains every other failure, so the checksum is decided first when it can be.
    if (failure && !expected) throw failure;
    const digest = await control.race(hash.done).catch((err: unknown) => {
      throw failure ?? err;
    });
    if (expected && digest.sha256 !== expected) {
      throw new GuestosError(
        "DUMP_CHECKSUM",
        `Cannot ${what}: the dump "${opts.dumpPath}" has sha256 ${digest.sha256}, the export recorded ${expected}`,
      );
    }
    if (failure) throw failure;
    opts.onProgress?.(size, size);
    return {
      verified: expected !== null,
      sha256: digest.sha256,
      bytes: size,
      unreadBytes: left,
      logFile: outcome!.logFile,
    };
  } finally {
    stopTicker.forEach((stop) => stop());
    control.dispose();
    feeder?.kill();
    hash.abort();
    await hash.done.catch(() => undefined);
    await feeder?.done.catch(() => undefined);
    pipe?.close();
    fs.closeSync(fd);
  }
}
