import { spawnSync } from "node:child_process";

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Median wall time in seconds of `fn` over `repeats` runs after one warm-up. */
export async function timeIt(repeats: number, fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(times);
}

/** Median wall time in seconds of a whole process (argv), which must exit 0 (or `okCodes`). */
export function timeProcess(repeats: number, argv: string[], okCodes: number[] = [0]): number {
  const times: number[] = [];
  for (let i = 0; i <= repeats; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
    const dt = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status === null || !okCodes.includes(r.status)) {
      throw new Error(`${argv.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr?.toString()}`);
    }
    if (i > 0) times.push(dt);
  }
  return median(times);
}

/** Format a ratio the way every benchmark prints it. */
export const ratio = (baseline: number, ours: number): string => `${(baseline / ours).toFixed(2)}x`;
