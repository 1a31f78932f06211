import { GuestosError } from "../errors.js";
import { checkFileDisk, probeBlockdev } from "../disks/index.js";
import { expandInstanceName, getInstance } from "../node/index.js";
import type { NodeHandle } from "../node/node.js";
import type { InstanceRecord } from "../node/types.js";

/** Ganeti's name expansion for commands on one instance: `Instance 'x' not known` when nothing matches. */
export function resolveInstanceName(node: NodeHandle, name: string): string {
  const full = expandInstanceName(node.db, name);
  if (full === null) throw new GuestosError("INSTANCE_UNKNOWN", `Instance '${name}' not known`);
  return full;
}

/** The instance, re-read under its lock: it may have been renamed or removed meanwhile. */
export function lockedInstance(node: NodeHandle, name: string): InstanceRecord {
  const rec = getInstance(node.db, name);
  if (!rec) throw new GuestosError("INSTANCE_UNKNOWN", `Instance '${name}' not known`);
  return rec;
}

/** Ganeti's CheckInstanceState(INSTANCE_DOWN): guestos never starts instances, but the flag can be set. */
export function requireDown(rec: InstanceRecord, what: string): void {
  if (rec.adminState === "up") {
    throw new GuestosError("INSTANCE_UP", `Instance '${rec.name}' is marked to be up, cannot ${what}`);
  }
}

/** Every disk of the instance must be there, at its size, before a script is given it. */
export async function requireDisks(rec: InstanceRecord, what: string): Promise<void> {
  for (const d of rec.disks) {
    let reason: string | null = null;
    if (d.adopted) {
      reason = await probeBlockdev(d.path).then(
        () => null,
        (err: Error) => err.message,
      );
    } else {
      const check = await checkFileDisk(d.path, d.size);
      if (!check.ok) reason = check.reason;
    }
    if (reason !== null) {
      throw new GuestosError(
        "DISK_MISSING",
        `Cannot ${what} instance "${rec.name}": disk/${d.index} (${d.path}): ${reason}`,
        {
          hint: `the disk was changed outside guestos; restore it, or remove the instance with "guestos instance remove ${rec.name}"`,
        },
      );
    }
  }
}
