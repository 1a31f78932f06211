import { spawnTool } from "./streamtool.js";

/*
 * Sparse dumps: `fallocate --dig-holes` (util-linux) turns all-zero blocks into holes in the kernel, far
 * faster than inspecting blocks in JavaScript, and keeps the bytes identical: once the writer is done, over
 * the whole file. Never over a part of it: util-linux 2.38's --dig-holes with a range that ends where a zero
 * run meets data also punches the first block of that data (a 4 KiB hole where the data started; seen with
 * `--offset 4M --length 1M` on zeros up to 5 MiB then data). A range ending at end of file is safe, so the
 * dump occupies its full size until the export script has finished.
 */

/** Digs holes into a finished file; failures (no fallocate, no FS support) only leave it dense. */
export interface HoleDigger {
  /** Dig the whole file, whose final size is `size`, and wait; true when it was dug. */
  finish(size: number): Promise<boolean>;
}

/** A HoleDigger for `path` using the fallocate at `fallocate` (null: never dig). */
export function holeDigger(path: string, fallocate: string | null): HoleDigger {
  return {
    async finish(size) {
      if (fallocate === null) return false;
      if (size === 0) return true;
      const tool = spawnTool([fallocate, "--dig-holes", "--", path], { stdin: "ignore", stdout: "ignore" });
      return (await tool.exited).code === 0;
    },
  };
}
