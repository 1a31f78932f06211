import type { DiskSpec } from "../env/spec.js";
import type { NodeDiskTemplate } from "../node/types.js";

/** What a node disk template means for the disks and for the scripts that see them. */
export interface DiskBackend {
  /** DiskSpec.template for the engine; null for diskless (no DiskSpec at all). */
  envTemplate: Extract<DiskSpec["template"], "file" | "blockdev"> | null;
  /** DiskSpec.fileDriver: `loop` for file disks; null where the engine ignores it. */
  fileDriver: Extract<DiskSpec["fileDriver"], "loop"> | null;
  /** DISK_N_BACKEND_TYPE as the OS scripts see it; null when there are no disks. */
  backendType: "file:loop" | "block" | null;
  /** Whether guestos makes and deletes the disks itself (sparse files); adopted devices are never touched. */
  createsDisks: boolean;
  /** Whether every disk is an existing block device the operator hands over. */
  adoptsDisks: boolean;
}

const BACKENDS: Record<NodeDiskTemplate, DiskBackend> = {
  file: {
    envTemplate: "file",
    fileDriver: "loop",
    backendType: "file:loop",
    createsDisks: true,
    adoptsDisks: false,
  },
  blockdev: {
    envTemplate: "blockdev",
    fileDriver: null,
    backendType: "block",
    createsDisks: false,
    adoptsDisks: true,
  },
  diskless: {
    envTemplate: null,
    fileDriver: null,
    backendType: null,
    createsDisks: false,
    adoptsDisks: false,
  },
};

/** The engine-side meaning of a node disk template (Ganeti's file with the loop driver, blockdev, diskless). */
export function diskBackend(template: NodeDiskTemplate): DiskBackend {
  return { ...BACKENDS[template] };
}
