export { attachLoop, detachLoop, detachLoopsBackedBy, loopsBackedBy, withLoop } from "./loop.js";
export {
  checkFileDisk,
  createFileDisk,
  fileDiskPath,
  fileStorageDir,
  removeFileDisk,
  removeFileStorageDir,
  renameFileStorageDir,
} from "./file.js";
export { probeBlockdev, type BlockdevInfo } from "./blockdev.js";
export { listPartitions, withPartition, type Partition } from "./partitions.js";
export { diskBackend, type DiskBackend } from "./template.js";
