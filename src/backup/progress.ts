/*
 * Transfer progress in Ganeti's words. Ganeti's import-export daemon samples dd's byte count, turns it into
 * whole MiB (utils.BytesToMebibyte), and masterd/instance.py FormatProgress prints
 * `<mbytes as FormatUnit 'h'>, <throughput %0.1f> MiB/s[, <percent %d>%][, ETA <FormatSeconds>]`, which the
 * job log shows as `disk/0 sent 512M, 25.0 MiB/s, 50%, ETA 10s`. Python rounds half to even (round(),
 * "%.Nf" on exact binary ties) where JavaScript's toFixed rounds half up, hence pyRound and pyFixed.
 */

const MiB = 1024 * 1024;

/** Python 3 round(x) (to an integer, half to even). */
export function pyRound(x: number): number {
  const r = Math.round(x);
  // Math.round sends .5 up; Python sends it to the even neighbour.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Python's "%.<digits>f" % x for digits 0 or 1 (a tie is exact only at x = k/2 resp. k/4, k odd). */
export function pyFixed(x: number, digits: 0 | 1): string {
  const tieScale = digits === 0 ? 2 : 4;
  const scaled = x * tieScale;
  if (Number.isInteger(scaled) && scaled % 2 !== 0) {
    const n = digits === 0 ? x : x * 10;
    const lo = Math.floor(n);
    const even = lo % 2 === 0 ? lo : lo + 1;
    return (digits === 0 ? even : even / 10).toFixed(digits);
  }
  return x.toFixed(digits);
}

/** Ganeti's utils.BytesToMebibyte: whole MiB, rounded half to even. */
export function bytesToMebibyte(bytes: number): number {
  return pyRound(bytes / MiB);
}

/** Ganeti's utils.FormatUnit(mib, "h"): `512M`, `1.5G`, `2.0T`. */
export function formatUnit(mib: number): string {
  if (mib < 1024) return `${pyFixed(mib, 0)}M`;
  if (mib < 1024 * 1024) return `${pyFixed(mib / 1024, 1)}G`;
  return `${pyFixed(mib / 1024 / 1024, 1)}T`;
}

/** Ganeti's utils.FormatSeconds: `2d 9h 19m 49s`, `10s`, `0s`. */
export function formatSeconds(secs: number): string {
  const parts: string[] = [];
  let rest = pyRound(secs);
  if (rest > 0) {
    for (const [unit, one] of [
      ["d", 86400],
      ["h", 3600],
      ["m", 60],
    ] as const) {
      const complete = Math.floor(rest / one);
      rest -= complete * one;
      if (complete || parts.length > 0) parts.push(`${complete}${unit}`);
    }
  }
  parts.push(`${Math.trunc(rest)}s`);
  return parts.join(" ");
}

/** The tuple Ganeti's daemon reports: MiB moved, MiB/s, percent and ETA in seconds (null when unknown). */
export interface GanetiProgress {
  mbytes: number;
  throughput: number;
  percent: number | null;
  eta: number | null;
}

/** Ganeti's masterd FormatProgress of one tuple. */
export function formatGanetiProgress(p: GanetiProgress): string {
  const parts = [formatUnit(p.mbytes), `${pyFixed(p.throughput, 1)} MiB/s`];
  if (p.percent !== null) parts.push(`${Math.trunc(p.percent)}%`);
  if (p.eta !== null) parts.push(`ETA ${formatSeconds(p.eta)}`);
  return parts.join(", ");
}

/** Ganeti's percent and ETA for `mbytes` of `expMbytes` at `throughput` (impexpd _UpdateDdProgress). */
export function ganetiProgress(mbytes: number, expMbytes: number | null, throughput: number): GanetiProgress {
  let percent: number | null = null;
  let eta: number | null = null;
  if (expMbytes !== null) {
    if (expMbytes !== 0) percent = Math.max(0, Math.min(100, (100 * mbytes) / expMbytes));
    if (throughput) eta = Math.max(0, (expMbytes - mbytes) / throughput);
  }
  return { mbytes, throughput, percent, eta };
}

/**
 * `512M, 25.0 MiB/s, 50%, ETA 10s` for `bytes` of `total` moved in `elapsedMs`, the throughput averaged
 * over the whole transfer (the job log prefixes `disk/N sent `, as Ganeti does).
 */
export function formatProgress(bytes: number, total: number | null, elapsedMs: number): string {
  const mbytes = bytesToMebibyte(bytes);
  const throughput = elapsedMs > 0 ? mbytes / (elapsedMs / 1000) : 0;
  return formatGanetiProgress(
    ganetiProgress(mbytes, total === null ? null : bytesToMebibyte(total), throughput),
  );
}

/** A sampler that computes throughput over a sliding window, like Ganeti's daemon (60 s). */
export interface ProgressMeter {
  /** Record `bytes` moved at `atMs` and return the progress tuple. */
  sample(bytes: number, atMs: number): GanetiProgress;
}

/** A ProgressMeter against `total` bytes (null: unknown) with throughput over the last `windowMs`. */
export function progressMeter(total: number | null, opts: { windowMs?: number } = {}): ProgressMeter {
  const windowMs = opts.windowMs ?? 60_000;
  const samples: { at: number; mbytes: number }[] = [];
  const expMbytes = total === null ? null : bytesToMebibyte(total);
  return {
    sample(bytes, atMs) {
      const mbytes = bytesToMebibyte(bytes);
      samples.push({ at: atMs, mbytes });
      while (samples.length > 2 && samples[0]!.at < atMs - windowMs) samples.shift();
      const first = samples[0]!;
      const dt = (atMs - first.at) / 1000;
      const throughput = samples.length >= 2 && dt > 0 ? (mbytes - first.mbytes) / dt : 0;
      return ganetiProgress(mbytes, expMbytes, throughput);
    },
  };
}
