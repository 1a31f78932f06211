import fs from "node:fs";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";

import { GuestosError, errnoName } from "../errors.js";
import { runPlanned, type ScriptOutcome } from "../run/planned.js";
import { diskLabel, every, killGroup, transferControl } from "./dumpcontrol.js";
import { holeDigger } from "./dumpholes.js";
import type { DumpWritten, WriteDumpOptions } from "./dumptypes.js";
import { startHash } from "./hash.js";
import { childPipe, type ChildPipe } from "./streampipe.js";
import { defaultToolPath, findTool, requireTool, spawnTool, toolFailure, type Tool } from "./streamtool.js";

/*
 * Export: the script's stdout is the dump file itself ("none"), the stdin of zstd whose stdout is the dump
 * file ("zstd"), or a pipe read here into node:zlib ("gzip", level 1 like Ganeti's `gzip -1` transport: the
 * only mode where bytes pass through this process). A worker hashes the dump while it grows.
 */

/** Ganeti's transport uses `gzip -1`; dumps are written once and read rarely, so speed wins over ratio. */
export const GZIP_LEVEL = 1;
const ZSTD_ARGS = ["-1", "-T0", "-vv"];

/** Where the script's stdout goes, and how far it got. */
interface Sink {
  stdout: number | NodeJS.WritableStream;
  /** Uncompressed bytes so far (progress). */
  progress(): number;
  /** Called once the script is gone: flush and wait; returns the uncompressed byte count if known. */
  finish(): Promise<number | null>;
  /** After the script started: drop our copies of its ends. */
  started(): void;
  /** Stop everything (failure path). */
  kill(): void;
}

function fileSink(fd: number): Sink {
  const size = (): number => fs.fstatSync(fd).size;
  return {
    stdout: fd,
    progress: size,
    finish: () => Promise.resolve(size()),
    started: () => undefined,
    kill: () => undefined,
  };
}

function gzipSink(fd: number): Sink {
  const gz = zlib.createGzip({ level: GZIP_LEVEL });
  // Its own open of the file: destroying an fs stream closes its fd even with autoClose: false.
  const own = fs.openSync(`/proc/self/fd/${fd}`, "r+");
  const out = fs.createWriteStream("", { fd: own, highWaterMark: 1024 * 1024 });
  // An error on the file (ENOSPC) destroys gz, whose error makes runScript stop the script.
  const written = pipeline(gz, out);
  written.catch(() => undefined);
  return {
    stdout: gz,
    progress: () => gz.bytesWritten,
    async finish() {
      gz.end();
      await written;
      return gz.bytesWritten;
    },
    started: () => undefined,
    kill: () => gz.destroy(),
  };
}

/** Total bytes zstd says it read, from its -vv summary `(123 B => 45 B, ...)`; null if not stated exactly. */
export function zstdInputBytes(stderr: string): number | null {
  const m = /\(\s*(\d+)\s*B?\s*=>\s*\d+\s*(?:B|bytes)\b/.exec(stderr);
  return m ? Number(m[1]) : null;
}

function zstdSink(
  fd: number,
  zstd: string,
  pipe: ChildPipe,
  what: string,
  dumpPath: string,
): Sink & { tool: Tool } {
  const tool = spawnTool([zstd, ...ZSTD_ARGS], { stdin: pipe.read, stdout: fd });
  pipe.closeEnd("read");
  let lastRead = 0;
  return {
    tool,
    stdout: pipe.write,
    progress() {
      lastRead = tool.io()?.rchar ?? lastRead;
      return lastRead;
    },
    async finish() {
      // zstd reaches EOF only once no writer is left, ours included.
      pipe.closeEnd("write");
      const e = await tool.exited;
      if (e.code !== 0) {
        throw new GuestosError(
          "ZSTD_FAILED",
          `Cannot ${what}: zstd ${e.killed ? "was stopped" : toolFailure(e)} while writing "${dumpPath}"` +
            (e.stderr ? `: ${lastLine(e.stderr)}` : ""),
        );
      }
      return zstdInputBytes(e.stderr);
    },
    started: () => pipe.closeEnd("write"),
    kill: () => tool.kill(),
  };
}

function lastLine(text: string): string {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  return lines.slice(-3).join(" / ");
}

/** Run a planned export script into a new dump file; see DumpWritten for what is measured. */
export async function writeDump(opts: WriteDumpOptions): Promise<DumpWritten> {
  const disk = diskLabel(opts);
  const what = `export ${disk}`;
  const toolPath = opts.toolPath ?? defaultToolPath();
  const zstd = opts.compression === "zstd" ? requireTool("zstd", toolPath, `${what} with zstd`) : null;
  const sparse = opts.compression === "none" && opts.sparse !== false;

  let fd: number;
  try {
    // Readable too: the hash worker preads the same open file.
    fd = fs.openSync(opts.dumpPath, "wx+", 0o600);
  } catch (err) {
    throw new GuestosError("DUMP_CREATE", `Cannot create dump "${opts.dumpPath}": ${errnoName(err)}`, {
      cause: err,
    });
  }
  const control = transferControl(opts, what);
  const hash = startHash(fd, { label: opts.dumpPath });
  let pipe: ChildPipe | null = null;
  let sink: Sink | null = null;
  let scriptPid: number | null = null;
  let scriptDone = false;
  let ok = false;
  const stopTicker: (() => void)[] = [];
  try {
    if (zstd) pipe = await childPipe();
    sink = zstd
      ? zstdSink(fd, zstd, pipe!, what, opts.dumpPath)
      : opts.compression === "gzip"
        ? gzipSink(fd)
        : fileSink(fd);
    const s = sink;
    const digger = holeDigger(opts.dumpPath, sparse ? findTool("fallocate", toolPath) : null);
    control.onStop(() => {
      s.kill();
      hash.abort();
      if (scriptDone) killGroup(scriptPid);
    });
    stopTicker.push(
      every(opts.progressIntervalMs ?? 1000, () => {
        opts.onProgress?.(s.progress(), opts.diskBytes ?? null);
      }),
    );

    let outcome: ScriptOutcome | null = null;
    let scriptError: Error | null = null;
    try {
      outcome = await runPlanned(opts.plan, {
        stdout: s.stdout,
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        onSpawn: (pid) => {
          scriptPid = pid;
          s.started();
          opts.onSpawn?.(pid);
        },
        ...(opts.onLogFile ? { onLogFile: opts.onLogFile } : {}),
      });
    } catch (err) {
      scriptError = err instanceof Error ? err : new Error(String(err));
    }
    scriptDone = true;
    if (scriptError) {
      // zstd failing makes the script die of SIGPIPE: its error is the cause, so it comes first.
      if (zstd)
        await control.race(s.finish()).catch((err: unknown) => {
          if (err instanceof GuestosError && err.code === "ZSTD_FAILED") throw err;
        });
      throw scriptError;
    }
    const rawBytes = await control.race(s.finish());
    stopTicker.splice(0).forEach((f) => f());
    const bytes = fs.fstatSync(fd).size;
    hash.end(bytes);
    const [digest, dug] = await control.race(Promise.all([hash.done, sparse ? digger.finish(bytes) : false]));
    if (digest.bytes !== bytes) {
      throw new GuestosError(
        "HASH_FAILED",
        `Cannot hash "${opts.dumpPath}": hashed ${digest.bytes} of ${bytes} bytes`,
      );
    }
    const expSize = outcome!.expSize;
    checkShort(disk, rawBytes, expSize, opts.diskBytes);
    opts.onProgress?.(rawBytes ?? bytes, expSize ?? opts.diskBytes ?? null);
    ok = true;
    return { sha256: digest.sha256, bytes, rawBytes, expSize, sparse: dug, logFile: outcome!.logFile };
  } finally {
    stopTicker.forEach((f) => f());
    control.dispose();
    if (!ok) {
      sink?.kill();
      hash.abort();
    }
    await hash.done.catch(() => undefined);
    pipe?.close();
    fs.closeSync(fd);
    if (!ok) fs.rmSync(opts.dumpPath, { force: true });
  }
}

function checkShort(disk: string, raw: number | null, announced: number | null, diskBytes?: number): void {
  if (raw === null) return;
  if (announced !== null && raw < announced) {
    throw new GuestosError(
      "EXPORT_SHORT",
      `Cannot export ${disk}: the export script wrote ${raw} bytes but announced ${announced}`,
      { hint: "the script ended early (a pipeline without pipefail?); the dump was removed" },
    );
  }
  if (raw === 0 && diskBytes !== undefined && diskBytes > 0) {
    throw new GuestosError(
      "EXPORT_SHORT",
      `Cannot export ${disk}: the export script wrote 0 bytes but the disk has ${diskBytes}`,
      { hint: "the script ended without output; the dump was removed" },
    );
  }
}
