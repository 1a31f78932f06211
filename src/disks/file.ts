import { constants } from "node:fs";
import { mkdir, open, readdir, rename, rmdir, stat, unlink, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import { GuestosError } from "../errors.js";
import { codeOf, reasonOf } from "./reason.js";

const MIB = 1024 * 1024;

/** Names become single path components: anything that could climb out of or into another directory is refused. */
function checkComponent(what: string, value: string): void {
  if (value === "" || value === "." || value === ".." || value.includes("/") || value.includes("\0")) {
    throw new GuestosError("DISK_PATH", `Cannot use "${value}" as ${what}: it is not a plain file name`);
  }
}

/** The directory holding an instance's file disks: `<home>/file-storage/<instanceName>`. */
export function fileStorageDir(home: string, instanceName: string): string {
  checkComponent("an instance's file storage directory", instanceName);
  return join(home, "file-storage", instanceName);
}

/** The path of file disk `index` in `dir`, named as Ganeti names it: `<uuid>.file.disk<index>`. */
export function fileDiskPath(dir: string, diskUuid: string, index: number): string {
  checkComponent("a disk uuid", diskUuid);
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new GuestosError("DISK_PATH", `Cannot use "${index}" as a disk index: it is not a whole number`);
  }
  return join(dir, `${diskUuid}.file.disk${index}`);
}

/** Create a sparse disk file of `sizeMiB` MiB (and its directory, 0700); an existing file is an error. */
export async function createFileDisk(path: string, sizeMiB: number): Promise<void> {
  const fail = (reason: string, cause?: unknown): GuestosError =>
    new GuestosError("DISK_CREATE", `Cannot create disk "${path}": ${reason}`, { cause });
  if (!Number.isSafeInteger(sizeMiB) || sizeMiB < 0 || !Number.isSafeInteger(sizeMiB * MIB)) {
    throw fail(`the size ${sizeMiB} MiB is not a whole number of MiB in range`);
  }
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fail(reasonOf(err), err);
  }
  let handle: FileHandle;
  try {
    // O_EXCL also refuses a symlink planted where the disk should go.
    handle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (err) {
    if (codeOf(err) === "EEXIST") {
      throw new GuestosError("DISK_EXISTS", `Cannot create disk "${path}": the file already exists`, {
        cause: err,
      });
    }
    throw fail(reasonOf(err), err);
  }
  try {
    // Sparse, as Ganeti does it: no block is written until the OS script writes it.
    await handle.truncate(sizeMiB * MIB);
    await handle.close();
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw fail(reasonOf(err), err);
  }
}

/** Delete a disk file; one that is already gone is fine. */
export async function removeFileDisk(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (codeOf(err) === "ENOENT") return;
    throw new GuestosError("DISK_REMOVE", `Cannot remove disk "${path}": ${reasonOf(err)}`, { cause: err });
  }
}

/** Remove an instance's file storage directory if it is empty; a missing one is fine, leftovers are reported. */
export async function removeFileStorageDir(dir: string): Promise<void> {
  try {
    await rmdir(dir);
  } catch (err) {
    const code = codeOf(err);
    if (code === "ENOENT") return;
    if (code === "ENOTEMPTY" || code === "EEXIST") {
      const left = (await readdir(dir).catch(() => [])).sort();
      const shown = left.length > 10 ? [...left.slice(0, 10), `and ${left.length - 10} more`] : left;
      throw new GuestosError(
        "DISK_DIR_NOT_EMPTY",
        `Cannot remove file storage directory "${dir}": it still holds ${shown.join(", ")}`,
        { cause: err, hint: "guestos only removes the disk files it created; move or delete the others" },
      );
    }
    throw new GuestosError(
      "DISK_DIR_REMOVE",
      `Cannot remove file storage directory "${dir}": ${reasonOf(err)}`,
      {
        cause: err,
      },
    );
  }
}

async function kindOf(path: string): Promise<"missing" | "dir" | "other"> {
  try {
    return (await stat(path)).isDirectory() ? "dir" : "other";
  } catch (err) {
    if (codeOf(err) === "ENOENT") return "missing";
    throw err;
  }
}

/**
 * Rename an instance's file storage directory (instance rename). As in Ganeti's RenameFileStorageDir, a
 * retry after a rename that already happened (old gone, new present) succeeds without doing anything.
 */
export async function renameFileStorageDir(oldDir: string, newDir: string): Promise<void> {
  const fail = (code: string, reason: string, cause?: unknown): GuestosError =>
    new GuestosError(code, `Cannot rename file storage directory "${oldDir}" to "${newDir}": ${reason}`, {
      cause,
    });
  let oldKind, newKind;
  try {
    [oldKind, newKind] = await Promise.all([kindOf(oldDir), kindOf(newDir)]);
  } catch (err) {
    throw fail("DISK_DIR_RENAME", reasonOf(err), err);
  }
  if (newKind !== "missing") {
    if (oldKind === "missing") return;
    throw fail("DISK_DIR_EXISTS", "the new directory already exists");
  }
  if (oldKind === "missing") throw fail("DISK_DIR_RENAME", "the directory does not exist");
  if (oldKind !== "dir") throw fail("DISK_DIR_RENAME", "it is not a directory");
  try {
    await rename(oldDir, newDir);
  } catch (err) {
    throw fail("DISK_DIR_RENAME", reasonOf(err), err);
  }
}

/** A size in words: whole MiB when it is one, else bytes. */
function sizeText(bytes: number): string {
  return bytes % MIB === 0 ? `${bytes / MIB} MiB` : `${bytes} bytes`;
}

/** Whether a disk file is still there with its recorded size (deleted or truncated behind guestos's back). */
export async function checkFileDisk(
  path: string,
  sizeMiB: number,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    if (codeOf(err) === "ENOENT") return { ok: false, reason: "the disk file is missing" };
    return { ok: false, reason: `cannot read the disk file: ${reasonOf(err)}` };
  }
  if (!st.isFile()) return { ok: false, reason: "the disk file is not a regular file" };
  if (st.size !== sizeMiB * MIB) {
    return {
      ok: false,
      reason: `the disk file is ${sizeText(st.size)}, expected ${sizeText(sizeMiB * MIB)}`,
    };
  }
  return { ok: true };
}
