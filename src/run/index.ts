/** Running one OS script exactly as Ganeti's node does, plus guestos's timeout, kill and log-name additions. */
export {
  EXP_SIZE_FD,
  runScript,
  type RunOptions,
  type RunResult,
  type StdinSpec,
  type StdoutSpec,
} from "./spawn.js";
export { instanceLogName, timestampForFilename, type LogKind } from "./logname.js";
export { openLogFile } from "./logfile.js";
export { tailLog } from "./tail.js";
export { safeEncode } from "./safeencode.js";
export { scriptFailureMessage, verifyFailureMessage } from "./failure.js";
export { closeInheritedFds } from "./fds.js";
export { makePipes, type PipePair, type PipeDirection } from "./fifo.js";
export {
  planScript,
  runPlanned,
  type ScriptIo,
  type ScriptOptions,
  type ScriptOutcome,
  type ScriptPlan,
} from "./planned.js";
