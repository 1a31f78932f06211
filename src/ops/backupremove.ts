import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { GuestosError } from "../errors.js";
import type { NodeHandle } from "../node/node.js";
import { exportRoot } from "./exports.js";
import { runJob } from "./job.js";
import type { OpOptions, OpResult } from "./types.js";

/**
 * `backup remove NAME` (gnt-backup remove): delete the export. As in Ganeti, an export that is not there
 * is never an error: nothing is printed when the instance exists, a note when the name is unknown too.
 */
export async function removeExport(
  node: NodeHandle,
  req: { name: string; dir?: string | null },
  opts: OpOptions = {},
): Promise<OpResult<{ name: string; removed: boolean }>> {
  if (req.name === "" || req.name.startsWith(".") || req.name.includes("/") || req.name.includes("\0")) {
    throw new GuestosError("EXPORT_NOT_FOUND", `Cannot remove export "${req.name}": not an export name`);
  }
  const path = join(exportRoot(node, req.dir), req.name);
  return runJob(
    node,
    {
      op: "BACKUP_REMOVE",
      target: req.name,
      input: { instance_name: req.name },
      locks: [`instance:${req.name}`],
    },
    opts,
    async (ctx) => {
      if (!existsSync(path)) {
        // LUBackupRemove only says so (feedback, not an error): the job succeeds and the command exits 0.
        const known = node.db.prepare("SELECT 1 FROM instances WHERE name = ?").get(req.name);
        if (!known) {
          ctx.log(
            "message",
            "Export not found. If trying to remove an export belonging to a deleted instance please use its Fully Qualified Domain Name.",
          );
        }
        return { name: req.name, removed: false };
      }
      await rm(path, { recursive: true, force: true });
      return { name: req.name, removed: true };
    },
  );
}
