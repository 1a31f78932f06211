import { GuestosError } from "../errors.js";
import { expandInstanceName, getInstance, listInstances } from "../node/index.js";
import type { NodeHandle } from "../node/node.js";
import type { InstanceView } from "../node/types.js";
import { instanceView } from "./fill.js";

/**
 * Instances for `instance list`: all (nice-sorted), or the named ones in the given order, each name
 * expanded as Ganeti does (`web1` for `web1.example.com`).
 */
export function queryInstances(
  node: NodeHandle,
  names: string[] = [],
  opts: { unknown?: "list" | "info" } = {},
): InstanceView[] {
  if (names.length === 0) return listInstances(node.db).map((r) => instanceView(node, r));
  return names.map((n) => {
    const full = expandInstanceName(node.db, n);
    const rec = full === null ? null : getInstance(node.db, full);
    if (!rec) {
      throw new GuestosError(
        "INSTANCE_UNKNOWN",
        opts.unknown === "info" ? `Instance '${n}' not known` : `Instance name ${n} not found`,
      );
    }
    return instanceView(node, rec);
  });
}
