// The catalog over a search path: Ganeti's DiagnoseOS, grouped by name, and OSFromDisk (lookup by name).
import { lstatSync, opendirSync, type Dirent } from "node:fs";
import { resolve } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { GuestosError } from "../errors.js";
import { isDir } from "./fsread.js";
import { joinPath, loadOsDir, loadOsSync, notFoundMessage } from "./load.js";
import { isValidOsName, splitNameVariant } from "./names.js";
import { niceSort } from "./nicesort.js";
import type { OsDefinition, OsVerdict } from "./types.js";

/** All verdicts for one OS name: the one from the first search dir that has it, then the ones it shadows. */
export interface CatalogEntry {
  name: string;
  first: OsVerdict;
  shadowed: OsVerdict[];
}

/** Entries checked between two yields to the event loop (the checks themselves are synchronous). */
const BATCH = 128;

/** os.path.ismount: a symlink never is; otherwise the parent is on another device or is the dir itself. */
function isMountPoint(dir: string): boolean {
  const self = probeLstat(dir);
  const parent = probeLstat(joinPath(dir, ".."));
  if (self === null || parent === null || self.symlink) return false;
  return self.dev !== parent.dev || self.ino === parent.ino;
}

function probeLstat(path: string): { dev: number; ino: number; symlink: boolean } | null {
  try {
    const st = lstatSync(path);
    return { dev: st.dev, ino: st.ino, symlink: st.isSymbolicLink() };
  } catch {
    return null;
  }
}

/** The entries of `dir` in the kernel's order, as os.listdir gives them (fs.readdir sorts them by name). */
function listInDirOrder(dir: string): Dirent[] {
  const handle = opendirSync(dir, { bufferSize: 256 });
  try {
    const out: Dirent[] = [];
    for (let e = handle.readSync(); e !== null; e = handle.readSync()) out.push(e);
    return out;
  } finally {
    handle.closeSync();
  }
}

/** ListVisibleFiles: names not starting with "."; "lost+found" hidden if `dir` is a mount point and it is a dir. */
function visibleEntries(dir: string): Dirent[] {
  const entries = listInDirOrder(dir);
  let mount: boolean | undefined;
  return entries.filter((e) => {
    if (e.name.startsWith(".")) return false;
    if (e.name !== "lost+found") return true;
    mount ??= isMountPoint(dir);
    return !(mount && isDir(joinPath(dir, e.name)));
  });
}

/** Whether readdir's type settles os.path.isdir; symlinks (and unknown types) need a stat. */
function knownIsDir(e: Dirent): boolean | undefined {
  if (e.isDirectory()) return true;
  return e.isSymbolicLink() ? undefined : false;
}

/**
 * Ganeti's DiagnoseOS: a verdict for every visible entry of every search dir that is a directory, in search
 * order, entries in the directory's own order (as Ganeti's os.listdir; not sorted). A dir that cannot be listed
 * ends the scan, as Ganeti's `break` does.
 */
export async function diagnoseRaw(searchPath: string[]): Promise<OsVerdict[]> {
  const out: OsVerdict[] = [];
  for (const given of searchPath) {
    const dir = resolve(given);
    if (!isDir(dir)) continue;
    let entries: Dirent[];
    try {
      entries = visibleEntries(dir);
    } catch {
      break;
    }
    for (let i = 0; i < entries.length; i++) {
      if (i > 0 && i % BATCH === 0) await yieldToLoop();
      const e = entries[i]!;
      out.push(loadOsSync(e.name, dir, knownIsDir(e)));
    }
  }
  return out;
}

/** The catalog: verdicts grouped by name (NiceSort order); the first search dir wins, even when invalid. */
export async function diagnose(searchPath: string[]): Promise<CatalogEntry[]> {
  const byName = new Map<string, CatalogEntry>();
  for (const v of await diagnoseRaw(searchPath)) {
    const entry = byName.get(v.name);
    if (entry === undefined) byName.set(v.name, { name: v.name, first: v, shadowed: [] });
    else entry.shadowed.push(v);
  }
  return niceSort([...byName.values()], (e) => e.name);
}

/** Ganeti's OSFromDisk: the first search dir with a directory of that name must hold a valid definition. */
export function findOs(full: string, searchPath: string[]): Promise<OsDefinition> {
  return new Promise((done) => done(findOsSync(full, searchPath)));
}

function findOsSync(full: string, searchPath: string[]): OsDefinition {
  const { name } = splitNameVariant(full);
  if (isValidOsName(name)) {
    for (const dir of searchPath) {
      const path = joinPath(resolve(dir), name);
      if (!isDir(path)) continue;
      const r = loadOsDir(name, path);
      if (r.ok) return r.os;
      throw new GuestosError("OS_INVALID", r.message, r.hint === undefined ? {} : { hint: r.hint });
    }
  }
  throw new GuestosError("OS_NOT_FOUND", notFoundMessage(name));
}
