import { bytesToMebibyte, formatSeconds, formatUnit, pyFixed } from "./progress.js";

/*
 * One-line progress for a terminal, redrawn in place with `\r`:
 *   disk/0 [##########----------]  50% 512M/1.0G 25.0 MiB/s ETA 20s
 * The line never exceeds the width (a wrapped line cannot be redrawn with `\r`), and trailing spaces wipe
 * what a longer previous line left behind.
 */

/** Options of renderProgressBar. */
export interface BarOptions {
  /** Total bytes; null or absent: no bar and no percentage, only the amount and the rate. */
  total?: number | null;
  elapsedMs: number;
  /** Shown first, e.g. "disk/0". */
  label?: string;
  /** Terminal columns; default 80. */
  width?: number;
  /** The transfer is over: no ETA. */
  done?: boolean;
}

/** The `\r`-prefixed line showing `bytes` moved, for a TTY. */
export function renderProgressBar(bytes: number, opts: BarOptions): string {
  const width = Math.max(20, opts.width ?? 80) - 1;
  const total = opts.total ?? null;
  const secs = opts.elapsedMs / 1000;
  const mib = bytes / (1024 * 1024);
  const rate = secs > 0 ? mib / secs : 0;
  const amount =
    total === null
      ? formatUnit(bytesToMebibyte(bytes))
      : `${formatUnit(bytesToMebibyte(bytes))}/${formatUnit(bytesToMebibyte(total))}`;
  const tail = [amount, `${pyFixed(rate, 1)} MiB/s`];
  if (!opts.done && total !== null && rate > 0 && total > bytes) {
    tail.push(`ETA ${formatSeconds((total - bytes) / (1024 * 1024) / rate)}`);
  }
  const label = opts.label ? `${opts.label} ` : "";
  let line: string;
  if (total !== null && total > 0) {
    const fraction = Math.max(0, Math.min(1, bytes / total));
    const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
    const fixed = `${label}[] ${percent} ${tail.join(" ")}`;
    const barWidth = Math.min(40, width - fixed.length);
    if (barWidth >= 5) {
      const filled = Math.round(fraction * barWidth);
      line = `${label}[${"#".repeat(filled)}${"-".repeat(barWidth - filled)}] ${percent} ${tail.join(" ")}`;
    } else {
      line = `${label}${percent} ${tail.join(" ")}`;
    }
  } else {
    line = `${label}${tail.join(" ")}`;
  }
  if (line.length > width) line = line.slice(0, width);
  return `\r${line.padEnd(width)}`;
}
