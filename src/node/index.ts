export type * from "./types.js";
export { FINAL_JOB_STATUSES, JOB_STATUSES, NODE_DISK_TEMPLATES } from "./types.js";
export { osLogDir, resolveHome } from "./home.js";
export { openStore, storeError, storePath, type Db } from "./store.js";
export { configPath, defaultConfig, readConfig, writeConfig, type NodeConfig } from "./config.js";
export { nodeIdentity, type NodeIdentity } from "./identity.js";
export { openNode, type NodeHandle } from "./node.js";
export { ensureReserve, isDiskFull, releaseReserve, withReserve, withReserveAsync } from "./reserve.js";
export {
  deleteInstance,
  expandInstanceName,
  getInstance,
  getInstanceByUuid,
  getPrivateParams,
  insertInstance,
  listInstances,
  macInUse,
  updateInstance,
  type InstancePatch,
  type NewInstance,
} from "./instances.js";
export { getOsPrivateParams, setOsPrivateParams } from "./osprivate.js";
export { isProcessAlive, processStartTime, selfIdentity } from "./proc.js";
export {
  addJobLogFile,
  addJobResource,
  appendJobLog,
  cancelJob,
  createJob,
  finishJob,
  getJob,
  jobLog,
  jobResources,
  listJobs,
  removeJobResource,
  setJobStatus,
  startJob,
} from "./jobs.js";
export { acquireLocks, heldLocks, releaseLocks } from "./locks.js";
export { recoverInterrupted, type RecoveryReport } from "./recovery.js";
