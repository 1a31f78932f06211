import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { GuestosError } from "../errors.js";
import { attachLoop, detachLoop } from "./loop.js";
import { reasonOf } from "./reason.js";

const run = promisify(execFile);

/** One partition of a disk image or block device. */
export interface Partition {
  /** The partition number as the kernel would name it (`sda5` is 5): logical and GPT numbers can skip. */
  number: number;
  startBytes: number;
  sizeBytes: number;
  /** `83` style hex for DOS labels, a type GUID for GPT, as sfdisk prints it. */
  type: string;
}

// The table is written by OS scripts, so sfdisk's view of it is checked before it is believed. zod is
// loaded on first use: every instance command imports this folder and must not pay zod's start-up.
const sfdiskJson = async () => {
  const { z } = await import("zod");
  return z.object({
    partitiontable: z.object({
      device: z.string(),
      unit: z.literal("sectors"),
      sectorsize: z.number().int().positive().optional(),
      partitions: z
        .array(
          z.object({
            node: z.string(),
            start: z.number().int().nonnegative(),
            size: z.number().int().nonnegative(),
            type: z.string(),
          }),
        )
        .optional(),
    }),
  });
};

/**
 * The partition number in a node name sfdisk made from `device`: `img1`, `/dev/loop0p1` (a `p` after a
 * trailing digit) or `...-part1` (by-id style names); null when the name has no number.
 */
export function partitionNumber(device: string, node: string): number | null {
  const rest = node.startsWith(device) ? node.slice(device.length) : node;
  const m = node.startsWith(device) ? /^(?:p|-part)?(\d+)$/.exec(rest) : /(\d+)$/.exec(rest);
  if (!m) return null;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** The partitions of a disk image or block device, from `sfdisk --json`; none when there is no table. */
export async function listPartitions(deviceOrFile: string): Promise<Partition[]> {
  const fail = (reason: string, cause?: unknown): GuestosError =>
    new GuestosError("PARTITIONS_READ", `Cannot read the partition table of "${deviceOrFile}": ${reason}`, {
      cause,
    });
  let stdout: string;
  try {
    ({ stdout } = await run("sfdisk", ["--json", "--", deviceOrFile], {
      env: { ...process.env, LC_ALL: "C" },
      maxBuffer: 16 * 1024 * 1024,
    }));
  } catch (err) {
    const stderr = (err as { stderr?: unknown }).stderr;
    if (typeof stderr === "string" && stderr.includes("does not contain a recognized partition table"))
      return [];
    throw fail(reasonOf(err), err);
  }
  let table;
  try {
    table = (await sfdiskJson()).parse(JSON.parse(stdout)).partitiontable;
  } catch (err) {
    throw fail("sfdisk printed something unexpected", err);
  }
  const sector = table.sectorsize ?? 512;
  return (table.partitions ?? []).map((p) => {
    const number = partitionNumber(table.device, p.node);
    const startBytes = p.start * sector;
    const sizeBytes = p.size * sector;
    if (number === null) throw fail(`sfdisk named a partition "${p.node}" without a number`);
    if (!Number.isSafeInteger(startBytes + sizeBytes)) throw fail(`partition ${number} is too large`);
    return { number, startBytes, sizeBytes, type: p.type };
  });
}

/**
 * Run `fn` with partition `number` of `deviceOrFile` attached to its own loop device (an offset loop:
 * no partition scanning, no device-mapper), detaching it afterwards whatever happens.
 */
export async function withPartition<T>(
  deviceOrFile: string,
  number: number,
  fn: (loopDevice: string) => Promise<T>,
): Promise<T> {
  const partitions = await listPartitions(deviceOrFile);
  const part = partitions.find((p) => p.number === number);
  if (!part) {
    const have = partitions.length ? `it has ${partitions.map((p) => p.number).join(", ")}` : "it has none";
    throw new GuestosError(
      "PARTITION_MISSING",
      `Cannot use partition ${number} of "${deviceOrFile}": there is no such partition (${have})`,
    );
  }
  // losetup reads a size limit of 0 as "no limit": an empty partition would expose the rest of the disk.
  if (part.sizeBytes === 0) {
    throw new GuestosError(
      "PARTITION_EMPTY",
      `Cannot use partition ${number} of "${deviceOrFile}": it is empty`,
    );
  }
  const device = await attachLoop(deviceOrFile, { offset: part.startBytes, sizeLimit: part.sizeBytes });
  try {
    return await fn(device);
  } finally {
    await detachLoop(device);
  }
}
