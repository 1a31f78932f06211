import { z } from "zod";

/**
 * The instance spec: a JSON document describing one instance to run OS scripts for
 * (docs/instance-spec.md). It carries already-filled hv/be/os params: there is no cluster to fill them from.
 * This file is the shape only; parse.ts applies the defaults and the cross-field checks.
 */

const hvValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.unknown())]);
const paramDict = z.record(z.string(), hvValue);
const osParamDict = z.record(z.string(), z.string());

export const DISK_TEMPLATES = [
  "file",
  "sharedfile",
  "plain",
  "drbd",
  "blockdev",
  "rbd",
  "ext",
  "gluster",
] as const;
export const FILE_DRIVERS = ["loop", "blktap", "blktap2"] as const;
export const NIC_MODES = ["bridged", "routed", "openvswitch", "ext"] as const;

const networkSchema = z.strictObject({
  name: z.string().min(1),
  uuid: z.string().min(1).optional(),
  subnet: z.string().nullable().optional(),
  gateway: z.string().nullable().optional(),
  subnet6: z.string().nullable().optional(),
  gateway6: z.string().nullable().optional(),
  macPrefix: z.string().nullable().optional(),
  tags: z.array(z.string()).optional(),
});

const diskSchema = z.strictObject({
  path: z.string().min(1).nullable().optional(),
  uri: z.string().min(1).nullable().optional(),
  access: z.enum(["kernel", "userspace"]).optional(),
  mode: z.enum(["rw", "ro"]).optional(),
  uuid: z.string().min(1).optional(),
  name: z.string().nullable().optional(),
  size: z.number().int().nonnegative(),
  template: z.enum(DISK_TEMPLATES).optional(),
  fileDriver: z.enum(FILE_DRIVERS).optional(),
});

const nicSchema = z.strictObject({
  mac: z.string().min(1).optional(),
  ip: z.string().nullable().optional(),
  mode: z.enum(NIC_MODES).optional(),
  link: z.string().nullable().optional(),
  uuid: z.string().min(1).optional(),
  name: z.string().nullable().optional(),
  network: networkSchema.nullable().optional(),
});

/** The zod schema of the instance spec document as written by a user (optional fields allowed). */
export const instanceSpecInput = z.strictObject({
  name: z.string().min(1),
  os: z.string().min(1),
  hypervisor: z.string().min(1).optional(),
  uuid: z.string().min(1).optional(),
  ctime: z.number().nonnegative().optional(),
  mtime: z.number().nonnegative().optional(),
  primaryNode: z.string().min(1).optional(),
  secondaryNodes: z.array(z.string().min(1)).optional(),
  hvparams: paramDict.optional(),
  beparams: paramDict.optional(),
  osparams: osParamDict.optional(),
  osparamsPrivate: osParamDict.optional(),
  osparamsSecret: osParamDict.optional(),
  debugLevel: z.number().int().nonnegative().optional(),
  disks: z.array(diskSchema).max(16).optional(),
  nics: z.array(nicSchema).max(8).optional(),
});

export type InstanceSpecInput = z.input<typeof instanceSpecInput>;
export type HvValue = z.infer<typeof hvValue>;

/** A network attached to a NIC, every field resolved. */
export interface NetworkSpec {
  name: string;
  uuid: string;
  subnet: string | null;
  gateway: string | null;
  subnet6: string | null;
  gateway6: string | null;
  macPrefix: string | null;
  tags: string[];
}

/** One disk, every default applied. `path` null means no kernel path (userspace-only access). */
export interface DiskSpec {
  path: string | null;
  uri: string | null;
  access: "kernel" | "userspace";
  mode: "rw" | "ro";
  uuid: string;
  name: string | null;
  size: number;
  template: (typeof DISK_TEMPLATES)[number];
  fileDriver: (typeof FILE_DRIVERS)[number];
}

/** One NIC, every default applied. */
export interface NicSpec {
  mac: string;
  ip: string | null;
  mode: (typeof NIC_MODES)[number];
  link: string;
  uuid: string;
  name: string | null;
  network: NetworkSpec | null;
}

/** The instance spec with every default applied: what the environment builder consumes. */
export interface InstanceSpec {
  name: string;
  os: string;
  hypervisor: string;
  uuid: string;
  ctime: number;
  mtime: number;
  primaryNode: string;
  secondaryNodes: string[];
  hvparams: Record<string, HvValue>;
  beparams: Record<string, HvValue>;
  osparams: Record<string, string>;
  osparamsPrivate: Record<string, string>;
  osparamsSecret: Record<string, string>;
  debugLevel: number;
  disks: DiskSpec[];
  nics: NicSpec[];
}

// Kept apart so that the environment builder does not load zod.
export { BLOCK_TEMPLATES, FILE_TEMPLATES } from "./templates.js";
