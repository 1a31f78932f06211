import { isValidHostname } from "../env/hostname.js";
import { GuestosError } from "../errors.js";
import { fileDiskPath, fileStorageDir, renameFileStorageDir } from "../disks/index.js";
import { getInstance, updateInstance } from "../node/index.js";
import type { NodeHandle } from "../node/node.js";
import type { DiskRecord } from "../node/types.js";
import { instanceSpecOf } from "./fill.js";
import { runJob } from "./job.js";
import { lockedInstance, requireDown, resolveInstanceName } from "./lookup.js";
import { checkOsForInstance } from "./osvalidate.js";
import { runInstanceScript } from "./script.js";
import type { OpOptions, OpResult } from "./types.js";

/**
 * `instance rename OLD NEW` (Ganeti's LUInstanceRename): the configuration first (and the file storage
 * directory with it), then the OS rename script, whose failure is only a warning.
 */
export async function renameInstance(
  node: NodeHandle,
  req: { name: string; newName: string },
  opts: OpOptions = {},
): Promise<OpResult<{ oldName: string; newName: string }>> {
  if (!isValidHostname(req.newName)) {
    throw new GuestosError(
      "BAD_NAME",
      `Cannot rename instance "${req.name}" to "${req.newName}": not a valid host name`,
    );
  }
  const name = resolveInstanceName(node, req.name);
  const newName = req.newName;
  const locks = [...new Set([`instance:${name}`, `instance:${newName}`])];
  const input = { instance_name: name, new_name: newName };
  return runJob(node, { op: "INSTANCE_RENAME", target: name, input, locks }, opts, async (ctx) => {
    const rec = lockedInstance(node, name);
    requireDown(rec, "rename");
    if (newName !== name && getInstance(node.db, newName)) {
      throw new GuestosError("INSTANCE_EXISTS", `Instance '${newName}' is already in the cluster`);
    }
    const oldDir = fileStorageDir(node.home, name);
    const newDir = fileStorageDir(node.home, newName);
    const moved = rec.diskTemplate === "file" && newName !== name;
    const disks: DiskRecord[] = moved
      ? rec.disks.map((d) => ({ ...d, path: fileDiskPath(newDir, d.uuid, d.index) }))
      : rec.disks;
    if (moved) await renameFileStorageDir(oldDir, newDir);
    try {
      updateInstance(node.db, rec.uuid, { name: newName, disks });
    } catch (err) {
      if (moved) await renameFileStorageDir(newDir, oldDir).catch(() => undefined);
      throw err;
    }
    const renamed = lockedInstance(node, newName);
    try {
      const os = await checkOsForInstance(node, renamed.os, {
        osparams: {},
        forceVariant: true,
        validateParams: false,
      });
      const spec = instanceSpecOf(node, renamed, { debugLevel: opts.debugLevel ?? 0 });
      await runInstanceScript(ctx, "rename", os, spec, { oldName: name, timeout: opts.timeout ?? null });
    } catch (err) {
      ctx.log(
        "warning",
        `Could not run OS rename script for instance ${newName} on node ${node.identity.name} ` +
          `(but the instance has been renamed in Ganeti): ${(err as Error).message}`,
      );
    }
    return { oldName: name, newName };
  });
}
