import { processStartTime } from "../node/index.js";
import type { JobContext } from "./job.js";

/**
 * Bookkeeping around a script must not replace its outcome: when the store cannot be written (a script
 * that filled the disk under the home), the script's own error is the one worth reporting. finishJob
 * forgets the job's resources anyway, and recovery copes with stale ones.
 */
export function bestEffort(write: () => void): void {
  try {
    write();
  } catch {
    // See above.
  }
}

/**
 * Register a running OS script with its job: its process group (once spawned) and the disks it may attach
 * loop devices to (Debian's scripts do, for file disks), so that recovery kills the one and detaches the
 * others if this process dies while the script runs. `release` forgets them once the script has ended.
 */
export function trackScript(
  ctx: JobContext,
  diskPaths: readonly string[],
): { onSpawn: (pid: number) => void; release: () => void } {
  let group: string | null = null;
  for (const p of diskPaths) ctx.addResource("loopfile", p);
  return {
    onSpawn(pid) {
      group = `${pid}:${processStartTime(pid) ?? ""}`;
      ctx.addResource("pgid", group);
    },
    release() {
      const spawned = group;
      if (spawned) bestEffort(() => ctx.removeResource("pgid", spawned));
      for (const p of diskPaths) bestEffort(() => ctx.removeResource("loopfile", p));
    },
  };
}
