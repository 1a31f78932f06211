import type { InstanceSpec } from "../env/spec.js";
import { detachLoopsBackedBy } from "../disks/index.js";
import { osLogDir } from "../node/home.js";
import { updateInstance, withReserve } from "../node/index.js";
import type { NodeHandle } from "../node/node.js";
import type { OsDefinition } from "../osdef/types.js";
import type { JobContext } from "./job.js";
import { bestEffort, trackScript } from "./track.js";
import { planScript, runPlanned, type ScriptOutcome } from "../run/planned.js";

/** Script kinds that run against a stored instance inside a job. */
export type InstanceScriptKind = "create" | "reinstall" | "rename";

/**
 * Run one OS script for a stored instance inside a job. While it runs, its process group and the disks
 * it may attach loop devices to are registered with the job, so that recovery can clean up if this
 * process dies; loop devices a failed script leaves on the instance's disks are detached at once.
 */
export async function runInstanceScript(
  ctx: JobContext,
  kind: InstanceScriptKind,
  os: OsDefinition,
  spec: InstanceSpec,
  opts: { oldName?: string; timeout?: number | null },
): Promise<ScriptOutcome> {
  const plan = planScript(kind, os, spec, {
    logDir: osLogDir(ctx.node.home),
    ...(opts.oldName !== undefined ? { oldName: opts.oldName } : {}),
  });
  const configured = kind === "rename" ? ctx.node.config.timeouts.rename : ctx.node.config.timeouts.create;
  const timeout = opts.timeout ?? configured;
  const paths = spec.disks.flatMap((d) => (d.path ? [d.path] : []));
  const tracked = trackScript(ctx, paths);
  try {
    return await runPlanned(plan, {
      ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      onSpawn: tracked.onSpawn,
      onLogFile: (path) => bestEffort(() => ctx.addLogFile(path)),
    });
  } catch (err) {
    for (const p of paths) {
      for (const dev of await detachLoopsBackedBy(p).catch(() => [] as string[])) {
        bestEffort(() =>
          ctx.log("warning", `Detached loop device ${dev} that the ${kind} script left attached to ${p}`),
        );
      }
    }
    throw err;
  } finally {
    tracked.release();
  }
}

/**
 * Mark an instance's install failed after its script failed. The script's failure is the error to report:
 * when the store cannot take the update (its disk is full, often filled by that very script), the instance
 * stays `pending` and recovery marks it failed once this job's process is gone.
 */
export function recordInstallFailure(node: NodeHandle, uuid: string, message: string): void {
  try {
    withReserve(node.home, () =>
      updateInstance(node.db, uuid, { installState: "failed", lastError: message }),
    );
  } catch {
    // See above: reporting the script's error matters more than recording it now.
  }
}
