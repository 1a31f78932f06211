/*
 * Names and limits of Ganeti's export format (lib/_constants.py), and the one rule guestos adds: a dump
 * is a plain file name inside the export directory. Ganeti's utils.PathJoin would also accept
 * `sub/file` and only refuses names that leave the directory; guestos accepts no path at all.
 */
import { GuestosError } from "../errors.js";

/** constants.INISECT_EXP, INISECT_INS, INISECT_HYP, INISECT_BEP, INISECT_OSP, INISECT_OSP_PRIVATE. */
export const INISECT = {
  export: "export",
  instance: "instance",
  hypervisor: "hypervisor",
  backend: "backend",
  os: "os",
  osPrivate: "os_private",
} as const;

/** constants.EXPORT_VERSION: the only version Ganeti 3.0 imports. */
export const EXPORT_VERSION = 0;
/** constants.EXPORT_CONF_FILE. */
export const EXPORT_CONF_FILE = "config.ini";
/** constants.MAX_DISKS: import looks at disk0_size .. disk15_size. */
export const MAX_DISKS = 16;
/** constants.MAX_NICS: import looks at nic0_mac .. nic7_mac. */
export const MAX_NICS = 8;

/** Why `name` is not a plain file name, or null. */
function notPlain(name: string): string | null {
  if (name === "") return "the name is empty";
  if (name === "." || name === "..") return "it names a directory";
  if (name.includes("/")) return "it contains a slash";
  if (name.includes("\0")) return "it contains a NUL character";
  return null;
}

/** Refuse (EXPORT_BAD_DUMP) a dump name that is not a plain file name: guestos never reaches outside the export. */
export function checkDumpName(name: string, action: "read" | "write"): void {
  const why = notPlain(name);
  if (why === null) return;
  throw new GuestosError("EXPORT_BAD_DUMP", `Cannot ${action} dump ${JSON.stringify(name)}: ${why}`, {
    hint: "a dump must be a plain file name inside the export directory",
  });
}
