import { GuestosError } from "../errors.js";
import { fileStorageDir, removeFileDisk, removeFileStorageDir } from "../disks/index.js";
import { deleteInstance } from "../node/index.js";
import type { NodeHandle } from "../node/node.js";
import { runJob } from "./job.js";
import { lockedInstance, resolveInstanceName } from "./lookup.js";
import type { OpOptions, OpResult } from "./types.js";

/**
 * `instance remove`: delete the disk files guestos created (adopted devices are left untouched), then
 * the record. Disks first: if this process dies halfway, the instance is still listed and a second
 * remove finishes the job. With ignoreFailures, disks that cannot be removed are only warned about.
 */
export async function removeInstance(
  node: NodeHandle,
  req: { name: string; ignoreFailures?: boolean },
  opts: OpOptions = {},
): Promise<OpResult<{ name: string }>> {
  const name = resolveInstanceName(node, req.name);
  const input = { instance_name: name, ignore_failures: req.ignoreFailures ?? false };
  return runJob(
    node,
    { op: "INSTANCE_REMOVE", target: name, input, locks: [`instance:${name}`] },
    opts,
    async (ctx) => {
      const rec = lockedInstance(node, name);
      const failures: string[] = [];
      for (const d of rec.disks) {
        if (d.adopted) continue;
        await removeFileDisk(d.path).catch((err: Error) => failures.push(err.message));
      }
      if (rec.diskTemplate === "file") {
        await removeFileStorageDir(fileStorageDir(node.home, name)).catch((err: Error) =>
          failures.push(err.message),
        );
      }
      if (failures.length > 0) {
        if (!req.ignoreFailures) {
          throw new GuestosError("DISK_REMOVE", "Can't remove instance's disks", {
            hint: failures.join("; "),
          });
        }
        for (const f of failures) ctx.log("warning", `can't remove instance's disks: ${f}`);
      }
      deleteInstance(node.db, rec.uuid);
      return { name };
    },
  );
}
