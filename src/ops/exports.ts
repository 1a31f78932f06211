import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { isAbsolute, join, resolve } from "node:path";
import { GuestosError } from "../errors.js";
import type { NodeHandle } from "../node/node.js";
import { niceSort } from "../osdef/nicesort.js";

/** Where exports live: `--dir`, else `<home>/export` (Ganeti's /var/lib/ganeti/export). */
export function exportRoot(node: NodeHandle, dir?: string | null): string {
  return dir ? resolve(dir) : join(node.home, "export");
}

/** Staging and superseded copies are hidden (dot) names in the export root, never listed as exports. */
export const stagingDir = (root: string, name: string, jobId: number): string =>
  join(root, `.staging-${jobId}-${name}`);
export const supersededDir = (root: string, name: string, jobId: number): string =>
  join(root, `.old-${jobId}-${name}`);

/**
 * Resolve `--src NAME|PATH` of an import: a path (anything with a `/`) as it is, a name under the export root.
 * A name must be a plain directory name, so that it cannot lead out of the root.
 */
export function exportPath(node: NodeHandle, src: string, dir?: string | null): string {
  if (src.includes("/")) return isAbsolute(src) ? src : resolve(src);
  if (src === "" || src === "." || src === ".." || src.includes("\0")) {
    throw new GuestosError("EXPORT_NOT_FOUND", `No export found for relative path ${src}`);
  }
  return join(exportRoot(node, dir), src);
}

/** Names of the exports in the root (directories holding a config.ini), nice-sorted. */
export function listExports(root: string): string[] {
  if (!existsSync(root)) return [];
  const names = readdirSync(root).filter((n) => {
    if (n.startsWith(".")) return false;
    try {
      return statSync(join(root, n)).isDirectory() && existsSync(join(root, n, "config.ini"));
    } catch {
      return false;
    }
  });
  return niceSort(names);
}

/**
 * The text of an export's config.ini, with Ganeti's messages when it is missing: `src` is what the user
 * named (a bare export name is reported as Ganeti reports a relative path it did not find).
 */
export function readConfigText(path: string, opts: { src?: string } = {}): string {
  try {
    return readFileSync(join(path, "config.ini"), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const relative = opts.src !== undefined && !opts.src.includes("/");
    // Ganeti's export_info reads a missing config.ini as an empty one, which lacks the required sections.
    const message =
      code === "ENOENT" && !existsSync(path)
        ? `No export found for relative path ${relative ? opts.src : path}`
        : `No export or invalid export found in dir ${path}: ${code === "ENOENT" ? "Export info file doesn't have the required fields" : (code ?? String(err))}`;
    throw new GuestosError("EXPORT_NOT_FOUND", message, { cause: err });
  }
}

/**
 * Put a finished staging directory in place of `<root>/<name>`: the previous export is moved aside
 * first and removed only after the new one is in place, so at every moment one complete export exists
 * (a crash in between leaves the old copy as a hidden `.old-*` directory that recovery removes).
 */
export async function publishExport(staging: string, final: string, superseded: string): Promise<void> {
  const hadOld = existsSync(final);
  if (hadOld) await rename(final, superseded);
  try {
    await rename(staging, final);
  } catch (err) {
    if (hadOld) await rename(superseded, final).catch(() => undefined);
    throw new GuestosError("EXPORT_PUBLISH", `Cannot put the export in place at "${final}": ${String(err)}`, {
      cause: err,
    });
  }
  if (hadOld) await rm(superseded, { recursive: true, force: true });
}

/**
 * Finish what a killed export left in the root: a superseded copy (`.old-<job>-<name>`) goes back in
 * place when `<name>` is missing (the process died between the two renames), and is removed otherwise.
 * Staging directories are job resources, which crash recovery removes. Jobs still running are left alone.
 */
export async function repairExportRoot(root: string, isRunning: (jobId: number) => boolean): Promise<void> {
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root)) {
    const m = /^\.old-(\d+)-(.+)$/.exec(entry);
    if (!m || isRunning(Number(m[1]))) continue;
    const final = join(root, m[2]!);
    if (existsSync(final)) await rm(join(root, entry), { recursive: true, force: true });
    else await rename(join(root, entry), final);
  }
}

/** What `backup list` shows: one row per export. */
export interface ExportEntry {
  node: string;
  export: string;
  path: string;
}

/** The exports in the root, as `gnt-backup list` lists them (Node, Export). */
export function queryExports(node: NodeHandle, dir?: string | null): ExportEntry[] {
  const root = exportRoot(node, dir);
  return listExports(root).map((name) => ({
    node: node.identity.name,
    export: name,
    path: join(root, name),
  }));
}
