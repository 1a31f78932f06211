// Export directories: Ganeti's config.ini (Python ConfigParser syntax) and what guestos adds to it.
export { DEFAULT_SECTION, emptyIni, parseIni, writeIni, type IniDocument } from "./configini.js";
export { escapeIniValue, iniReader, type IniReader } from "./configget.js";
export { buildExportConfig, type BuildExportOptions, type ExportedDisk } from "./exportinfo.js";
export { readExportConfig, type ExportDisk, type ExportInfo, type ExportNic } from "./exportread.js";
export {
  EXPORT_CONF_FILE,
  EXPORT_VERSION,
  INISECT,
  MAX_DISKS,
  MAX_NICS,
  checkDumpName,
} from "./exportnames.js";
export {
  GUESTOS_COMPRESSIONS,
  GUESTOS_EXPORT_VERSION,
  GUESTOS_SECTION,
  type GuestosCompression,
  type GuestosDump,
  type GuestosExportInfo,
} from "./guestossect.js";
export { writeDump, GZIP_LEVEL } from "./dumpwrite.js";
export { checkDump, readDump, UNREAD_TOLERANCE } from "./dumpread.js";
export type {
  Compression,
  DumpWritten,
  DumpRead,
  WriteDumpOptions,
  ReadDumpOptions,
  ProgressFn,
} from "./dumptypes.js";
export { sha256File, startHash, type HashJob } from "./hash.js";
export { formatProgress, formatGanetiProgress, progressMeter, formatSeconds } from "./progress.js";
export { renderProgressBar, type BarOptions } from "./progressbar.js";
