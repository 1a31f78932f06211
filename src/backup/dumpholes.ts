import { spawnTool, toolFailure } from "./streamtool.js";

/*
 * Sparse dumps: `fallocate --dig-holes` (util-linux) turns all-zero blocks into holes in the kernel, far
 * faster than inspecting blocks in JavaScript, and keeps the bytes identical. It runs on ranges the writer
 * has already passed (dumps are written front to back), so an 8 GiB mostly empty disk never occupies 8 GiB
 * of the staging filesystem for long, and once more over the tail at the end.
 */

/** Ranges are dug in whole MiB while the dump grows, so each fallocate run has work worth starting it for. */
const STEP = 1024 * 1024;

/** Digs holes into a growing file behind its writer; failures (no fallocate, no FS support) only disable it. */
export interface HoleDigger {
  /** The file has at least `size` bytes that will not change: dig up to there (in the background). */
  advance(size: number): void;
  /** Dig up to `size` (the final size) and wait; true when every range was dug. */
  finish(size: number): Promise<boolean>;
  /** Why digging stopped, if it did. */
  error(): string | null;
}

/** A HoleDigger for `path` using the fallocate at `fallocate` (null: never dig). */
export function holeDigger(path: string, fallocate: string | null): HoleDigger {
  let dug = 0;
  let ok = fallocate !== null;
  let running: Promise<void> | null = null;
  let lastError: string | null = fallocate === null ? "fallocate was not found" : null;

  const dig = (offset: number, length: number): Promise<void> => {
    const tool = spawnTool(
      [fallocate!, "--dig-holes", "--offset", String(offset), "--length", String(length), "--", path],
      { stdin: "ignore", stdout: "ignore" },
    );
    return tool.exited.then((e) => {
      if (e.code !== 0) {
        ok = false;
        lastError = `${toolFailure(e)}${e.stderr ? `: ${e.stderr}` : ""}`;
      }
    });
  };
  return {
    advance(size) {
      const upTo = Math.floor(size / STEP) * STEP;
      if (!ok || running || upTo <= dug) return;
      const offset = dug;
      dug = upTo;
      running = dig(offset, upTo - offset).finally(() => {
        running = null;
      });
    },
    async finish(size) {
      if (running) await running;
      if (ok && size > dug) {
        await dig(dug, size - dug);
        dug = size;
      }
      return ok;
    },
    error: () => lastError,
  };
}
