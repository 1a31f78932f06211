import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, rm, stat, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { isGuestosError } from "../errors.js";
import {
  checkFileDisk,
  createFileDisk,
  fileDiskPath,
  fileStorageDir,
  removeFileDisk,
  removeFileStorageDir,
  renameFileStorageDir,
} from "./file.js";
import { attachLoop, detachLoop, loopsBackedBy, withLoop } from "./loop.js";

const run = promisify(execFile);
const MIB = 1024 * 1024;

/** Asserts `fn` rejects with a GuestosError of `code` and exactly `message`. */
async function rejectsWith(fn: () => Promise<unknown>, code: string, message: string): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(isGuestosError(err), `not a GuestosError: ${String(err)}`);
    assert.equal(err.message, message);
    assert.equal(err.code, code);
    return true;
  });
}

let tmp: string;
let n = 0;
/** A fresh directory path (not created) inside the test's temp dir. */
const fresh = (): string => join(tmp, `case${n++}`);

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "guestos-disks-file-"));
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
  assert.equal(existsSync(tmp), false);
});

describe("fileStorageDir and fileDiskPath", () => {
  test("use guestos's home layout and Ganeti's disk file names", () => {
    const dir = fileStorageDir("/var/lib/guestos", "web1.example.com");
    assert.equal(dir, "/var/lib/guestos/file-storage/web1.example.com");
    assert.equal(
      fileDiskPath(dir, "8f4e6a2c-1b3d-4e5f-9a7b-0c1d2e3f4a5b", 1),
      "/var/lib/guestos/file-storage/web1.example.com/8f4e6a2c-1b3d-4e5f-9a7b-0c1d2e3f4a5b.file.disk1",
    );
  });

  test("refuse names that are not a single path component", () => {
    for (const name of ["", ".", "..", "a/b", "../etc", "x\0y"]) {
      assert.throws(
        () => fileStorageDir("/h", name),
        (err: unknown) =>
          isGuestosError(err, "DISK_PATH") &&
          err.message ===
            `Cannot use "${name}" as an instance's file storage directory: it is not a plain file name`,
      );
      assert.throws(
        () => fileDiskPath("/h", name, 0),
        (err: unknown) => isGuestosError(err, "DISK_PATH"),
      );
    }
    for (const index of [-1, 1.5, Number.NaN]) {
      assert.throws(
        () => fileDiskPath("/h", "u", index),
        (err: unknown) =>
          isGuestosError(err, "DISK_PATH") &&
          err.message === `Cannot use "${index}" as a disk index: it is not a whole number`,
      );
    }
  });
});

describe("createFileDisk", () => {
  test("makes a sparse file of the size, in a new 0700 directory, mode 0600", async () => {
    const dir = join(fresh(), "file-storage", "inst1");
    const path = fileDiskPath(dir, "uuid-0", 0);
    await createFileDisk(path, 64);
    const st = await stat(path);
    assert.equal(st.size, 64 * MIB);
    assert.equal(st.blocks, 0, "no block is allocated");
    assert.equal(st.mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(await checkFileDisk(path, 64), { ok: true });
  });

  test("a zero-size disk is an empty file", async () => {
    const path = join(fresh(), "d.file.disk0");
    await createFileDisk(path, 0);
    assert.equal((await stat(path)).size, 0);
  });

  test("the disk works as a loop device of exactly its size", async () => {
    const path = join(fresh(), "d.file.disk0");
    await createFileDisk(path, 8);
    const size = await withLoop(path, async (dev) => {
      assert.deepEqual(await loopsBackedBy(path), [dev]);
      const { stdout } = await run("blockdev", ["--getsize64", dev]);
      await run("dd", [
        "if=/dev/zero",
        `of=${dev}`,
        "bs=4096",
        "count=1",
        "seek=1",
        "conv=fsync",
        "status=none",
      ]);
      return Number(stdout.trim());
    });
    assert.equal(size, 8 * MIB);
    assert.deepEqual(await loopsBackedBy(path), []);
    assert.equal((await stat(path)).size, 8 * MIB, "writing through the loop does not change the size");
  });

  test("an existing file is an error and is left alone", async () => {
    const dir = fresh();
    await mkdir(dir);
    const path = join(dir, "d.file.disk0");
    await writeFile(path, "precious");
    await rejectsWith(
      () => createFileDisk(path, 4),
      "DISK_EXISTS",
      `Cannot create disk "${path}": the file already exists`,
    );
    assert.equal(await readFile(path, "utf8"), "precious");
  });

  test("a symlink where the disk goes is not followed", async () => {
    const dir = fresh();
    await mkdir(dir);
    const target = join(dir, "target");
    await writeFile(target, "precious");
    const path = join(dir, "d.file.disk0");
    await symlink(target, path);
    await rejectsWith(
      () => createFileDisk(path, 4),
      "DISK_EXISTS",
      `Cannot create disk "${path}": the file already exists`,
    );
    assert.equal(await readFile(target, "utf8"), "precious");
    const dangling = join(dir, "d.file.disk1");
    await symlink(join(dir, "nowhere"), dangling);
    await rejectsWith(
      () => createFileDisk(dangling, 4),
      "DISK_EXISTS",
      `Cannot create disk "${dangling}": the file already exists`,
    );
    assert.equal(existsSync(join(dir, "nowhere")), false);
  });

  test("a directory that cannot be made is a DISK_CREATE error", async () => {
    const blocker = fresh();
    await writeFile(blocker, "");
    const path = join(blocker, "inst", "d.file.disk0");
    await rejectsWith(
      () => createFileDisk(path, 4),
      "DISK_CREATE",
      `Cannot create disk "${path}": not a directory (ENOTDIR)`,
    );
  });

  test("sizes that are not whole MiB in range are refused before anything is made", async () => {
    const dir = fresh();
    for (const size of [-1, 0.5, Number.NaN, 2 ** 53]) {
      const path = join(dir, "d.file.disk0");
      await rejectsWith(
        () => createFileDisk(path, size),
        "DISK_CREATE",
        `Cannot create disk "${path}": the size ${size} MiB is not a whole number of MiB in range`,
      );
    }
    assert.equal(existsSync(dir), false);
  });
});

describe("createFileDisk on a small ext4", () => {
  // A filesystem of our own makes the failures deterministic, whatever tmpdir() sits on.
  let image: string;
  let device: string;
  let mnt: string;

  before(async () => {
    const dir = fresh();
    await mkdir(dir);
    image = join(dir, "fs.img");
    mnt = join(dir, "mnt");
    await mkdir(mnt);
    await writeFile(image, "");
    await truncate(image, 16 * MIB);
    device = await attachLoop(image);
    await run("mkfs.ext4", ["-q", device]);
    await run("mount", [device, mnt]);
  });

  after(async () => {
    await run("umount", [mnt]).catch(() => undefined);
    await detachLoop(device);
    assert.deepEqual(await loopsBackedBy(image), []);
  });

  test("a size past the filesystem's largest file fails and leaves no half-made file", async () => {
    // ext4 files stop at 16 TiB; the sparse create reaches ftruncate and fails there.
    const path = join(mnt, "inst", "d.file.disk0");
    await rejectsWith(
      () => createFileDisk(path, 17 * 1024 * 1024),
      "DISK_CREATE",
      `Cannot create disk "${path}": file too large (EFBIG)`,
    );
    assert.deepEqual(await readdir(join(mnt, "inst")), []);
  });

  test("a read-only filesystem fails with its reason", async () => {
    await mkdir(join(mnt, "ro"));
    await run("mount", ["-o", "remount,ro", mnt]);
    try {
      const path = join(mnt, "ro", "d.file.disk0");
      await rejectsWith(
        () => createFileDisk(path, 4),
        "DISK_CREATE",
        `Cannot create disk "${path}": read-only file system (EROFS)`,
      );
    } finally {
      await run("mount", ["-o", "remount,rw", mnt]);
    }
  });
});

describe("removeFileDisk", () => {
  test("removes the file; a missing one is fine", async () => {
    const path = join(fresh(), "d.file.disk0");
    await createFileDisk(path, 1);
    await removeFileDisk(path);
    assert.equal(existsSync(path), false);
    await removeFileDisk(path);
  });

  test("a directory in its place is an error", async () => {
    const path = fresh();
    await mkdir(path);
    await assert.rejects(
      () => removeFileDisk(path),
      (err: unknown) =>
        isGuestosError(err, "DISK_REMOVE") && err.message.startsWith(`Cannot remove disk "${path}": `),
    );
    assert.equal(existsSync(path), true);
  });
});

describe("removeFileStorageDir", () => {
  test("removes an empty directory; a missing one is fine", async () => {
    const dir = fresh();
    await mkdir(dir);
    await removeFileStorageDir(dir);
    assert.equal(existsSync(dir), false);
    await removeFileStorageDir(dir);
  });

  test("leaves a non-empty directory and names what is in it", async () => {
    const dir = fresh();
    await mkdir(dir);
    await writeFile(join(dir, "z.file.disk1"), "");
    await writeFile(join(dir, "notes.txt"), "");
    await mkdir(join(dir, "a-dir"));
    await assert.rejects(
      () => removeFileStorageDir(dir),
      (err: unknown) => {
        assert.ok(isGuestosError(err, "DISK_DIR_NOT_EMPTY"));
        assert.equal(
          err.message,
          `Cannot remove file storage directory "${dir}": it still holds a-dir, notes.txt, z.file.disk1`,
        );
        return true;
      },
    );
    assert.deepEqual((await readdir(dir)).sort(), ["a-dir", "notes.txt", "z.file.disk1"]);
  });

  test("a long list of leftovers is cut short", async () => {
    const dir = fresh();
    await mkdir(dir);
    for (let i = 0; i < 12; i++) await writeFile(join(dir, `f${String(i).padStart(2, "0")}`), "");
    await rejectsWith(
      () => removeFileStorageDir(dir),
      "DISK_DIR_NOT_EMPTY",
      `Cannot remove file storage directory "${dir}": it still holds f00, f01, f02, f03, f04, f05, f06, f07, f08, f09, and 2 more`,
    );
  });

  test("a file in its place is an error", async () => {
    const path = fresh();
    await writeFile(path, "");
    await rejectsWith(
      () => removeFileStorageDir(path),
      "DISK_DIR_REMOVE",
      `Cannot remove file storage directory "${path}": not a directory (ENOTDIR)`,
    );
  });
});

describe("renameFileStorageDir", () => {
  test("moves the directory with its disks", async () => {
    const base = fresh();
    const oldDir = join(base, "old.example.com");
    const newDir = join(base, "new.example.com");
    await createFileDisk(join(oldDir, "u.file.disk0"), 2);
    await renameFileStorageDir(oldDir, newDir);
    assert.equal(existsSync(oldDir), false);
    assert.deepEqual(await checkFileDisk(join(newDir, "u.file.disk0"), 2), { ok: true });
  });

  test("refuses when the new directory exists, leaving both", async () => {
    const base = fresh();
    const oldDir = join(base, "a");
    const newDir = join(base, "b");
    await mkdir(oldDir, { recursive: true });
    await mkdir(newDir);
    await rejectsWith(
      () => renameFileStorageDir(oldDir, newDir),
      "DISK_DIR_EXISTS",
      `Cannot rename file storage directory "${oldDir}" to "${newDir}": the new directory already exists`,
    );
    assert.equal(existsSync(oldDir), true);
    assert.equal(existsSync(newDir), true);
  });

  test("a retry after the rename happened is a no-op, as in Ganeti", async () => {
    const base = fresh();
    const oldDir = join(base, "a");
    const newDir = join(base, "b");
    await mkdir(oldDir, { recursive: true });
    await renameFileStorageDir(oldDir, newDir);
    await renameFileStorageDir(oldDir, newDir);
    assert.equal(existsSync(newDir), true);
  });

  test("a missing or non-directory source is an error", async () => {
    const base = fresh();
    await mkdir(base);
    const missing = join(base, "a");
    const newDir = join(base, "b");
    await rejectsWith(
      () => renameFileStorageDir(missing, newDir),
      "DISK_DIR_RENAME",
      `Cannot rename file storage directory "${missing}" to "${newDir}": the directory does not exist`,
    );
    const file = join(base, "f");
    await writeFile(file, "");
    await rejectsWith(
      () => renameFileStorageDir(file, newDir),
      "DISK_DIR_RENAME",
      `Cannot rename file storage directory "${file}" to "${newDir}": it is not a directory`,
    );
    assert.equal(existsSync(newDir), false);
  });
});

describe("checkFileDisk", () => {
  test("tells a missing, truncated, grown or replaced disk file", async () => {
    const dir = fresh();
    const path = join(dir, "u.file.disk0");
    assert.deepEqual(await checkFileDisk(path, 64), { ok: false, reason: "the disk file is missing" });
    await createFileDisk(path, 64);
    assert.deepEqual(await checkFileDisk(path, 64), { ok: true });
    await truncate(path, 10 * MIB);
    assert.deepEqual(await checkFileDisk(path, 64), {
      ok: false,
      reason: "the disk file is 10 MiB, expected 64 MiB",
    });
    await truncate(path, 10 * MIB + 1);
    assert.deepEqual(await checkFileDisk(path, 64), {
      ok: false,
      reason: "the disk file is 10485761 bytes, expected 64 MiB",
    });
    await truncate(path, 128 * MIB);
    assert.deepEqual(await checkFileDisk(path, 64), {
      ok: false,
      reason: "the disk file is 128 MiB, expected 64 MiB",
    });
    await rm(path);
    await mkdir(path);
    assert.deepEqual(await checkFileDisk(path, 64), {
      ok: false,
      reason: "the disk file is not a regular file",
    });
  });
});
