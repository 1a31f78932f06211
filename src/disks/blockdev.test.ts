import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import { isGuestosError } from "../errors.js";
import { probeBlockdev, useReason, type DeviceNode } from "./blockdev.js";
import { attachLoop, detachLoop, loopsBackedBy } from "./loop.js";

const run = promisify(execFile);
const MIB = 1024 * 1024;

async function rejectsWith(fn: () => Promise<unknown>, code: string, message: string): Promise<void> {
  await assert.rejects(fn, (err: unknown) => {
    assert.ok(isGuestosError(err), `not a GuestosError: ${String(err)}`);
    assert.equal(err.message, message);
    assert.equal(err.code, code);
    return true;
  });
}

let tmp: string;
/** Under /dev, so that links and files there pass the path check and fail later ones. */
let devTmp: string;
const images: string[] = [];
const devices: string[] = [];

/** A loop device over a new sparse file of `sizeMiB`. */
async function loopOf(name: string, sizeMiB: number): Promise<string> {
  const image = join(tmp, name);
  await writeFile(image, "");
  await truncate(image, sizeMiB * MIB);
  images.push(image);
  const dev = await attachLoop(image);
  devices.push(dev);
  return dev;
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "guestos-disks-blockdev-"));
  devTmp = await mkdtemp("/dev/shm/guestos-disks-blockdev-");
});

after(async () => {
  for (const dev of devices.reverse()) await detachLoop(dev);
  for (const image of images) assert.deepEqual(await loopsBackedBy(image), [], image);
  await rm(tmp, { recursive: true, force: true });
  await rm(devTmp, { recursive: true, force: true });
  assert.equal(existsSync(tmp), false);
  assert.equal(existsSync(devTmp), false);
});

describe("probeBlockdev", () => {
  test("a loop device: its path and size", async () => {
    const dev = await loopOf("plain.img", 16);
    assert.deepEqual(await probeBlockdev(dev), { path: dev, realPath: dev, sizeBytes: 16 * MIB });
  });

  test("a symlink under /dev keeps its path and reports the device it leads to", async () => {
    const dev = await loopOf("linked.img", 3);
    const link = join(devTmp, "disk0");
    await symlink(dev, link);
    assert.deepEqual(await probeBlockdev(link), { path: link, realPath: dev, sizeBytes: 3 * MIB });
    const dotted = `/dev/shm/../${basename(dev)}`;
    assert.deepEqual(await probeBlockdev(dotted), { path: dev, realPath: dev, sizeBytes: 3 * MIB });
  });

  test("refuses paths outside /dev, however they get there", async () => {
    for (const path of [
      "/etc/hostname",
      "/dev",
      "/dev/",
      "/dev/../etc/passwd",
      "loop0",
      "",
      "/dev/loop0\0",
    ]) {
      await rejectsWith(
        () => probeBlockdev(path),
        "ADOPT_PATH",
        `Cannot adopt "${path}": only block devices under /dev can be adopted`,
      );
    }
    const out = join(devTmp, "out");
    await symlink("/etc/hostname", out);
    await rejectsWith(
      () => probeBlockdev(out),
      "ADOPT_PATH",
      `Cannot adopt "${out}": it leads to "/etc/hostname", outside /dev`,
    );
  });

  test("refuses what does not exist", async () => {
    const missing = join(devTmp, "no-such-disk");
    await rejectsWith(
      () => probeBlockdev(missing),
      "ADOPT_MISSING",
      `Cannot adopt "${missing}": it does not exist`,
    );
    const dangling = join(devTmp, "dangling");
    await symlink(missing, dangling);
    await rejectsWith(
      () => probeBlockdev(dangling),
      "ADOPT_MISSING",
      `Cannot adopt "${dangling}": it does not exist`,
    );
  });

  test("refuses what is not a block device", async () => {
    const file = join(devTmp, "file");
    await writeFile(file, "x");
    const dir = join(devTmp, "dir");
    await mkdir(dir);
    const cases: Array<[string, string]> = [
      ["/dev/null", "a character device"],
      [file, "a regular file"],
      [dir, "a directory"],
    ];
    for (const [path, kind] of cases) {
      await rejectsWith(
        () => probeBlockdev(path),
        "ADOPT_NOT_BLOCKDEV",
        `Cannot adopt "${path}": it is not a block device (it is ${kind})`,
      );
    }
  });

  test("refuses an empty device", async () => {
    const dev = await loopOf("empty.img", 0);
    await rejectsWith(
      () => probeBlockdev(dev),
      "ADOPT_EMPTY",
      `Cannot adopt "${dev}": the device is empty (0 bytes)`,
    );
  });

  test("refuses a mounted device, and accepts it once unmounted", async () => {
    const dev = await loopOf("mounted.img", 16);
    await run("mkfs.ext4", ["-q", dev]);
    const mnt = join(tmp, "mount point");
    await mkdir(mnt);
    await run("mount", [dev, mnt]);
    try {
      await rejectsWith(
        () => probeBlockdev(dev),
        "ADOPT_IN_USE",
        `Cannot adopt "${dev}": it is mounted on "${mnt}"`,
      );
    } finally {
      await run("umount", [mnt]);
    }
    assert.equal((await probeBlockdev(dev)).sizeBytes, 16 * MIB);
  });

  test("refuses a device another program holds open exclusively (a mount in another namespace looks so)", async () => {
    const dev = await loopOf("claimed.img", 4);
    const holder = spawn(
      "/usr/bin/python3",
      [
        "-c",
        "import os,sys\nos.open(sys.argv[1], os.O_RDONLY | os.O_EXCL)\nprint('ready', flush=True)\nsys.stdin.read()",
        dev,
      ],
      { stdio: ["pipe", "pipe", "inherit"] },
    );
    const exited = once(holder, "exit");
    try {
      const [first] = (await Promise.race([
        once(holder.stdout, "data"),
        exited.then(() => Promise.reject(new Error("the holder exited before it claimed the device"))),
      ])) as [Buffer];
      assert.match(first.toString(), /^ready/);
      await rejectsWith(
        () => probeBlockdev(dev),
        "ADOPT_IN_USE",
        `Cannot adopt "${dev}": it is in use (another program holds it open exclusively)`,
      );
    } finally {
      holder.stdin.end();
      await exited;
    }
    assert.equal((await probeBlockdev(dev)).sizeBytes, 4 * MIB);
  });

  test("refuses a device another loop device reads from", async () => {
    const dev = await loopOf("lower.img", 4);
    const upper = await attachLoop(dev, { offset: MIB });
    try {
      await rejectsWith(
        () => probeBlockdev(dev),
        "ADOPT_IN_USE",
        `Cannot adopt "${dev}": it backs loop device ${upper}`,
      );
    } finally {
      await detachLoop(upper);
    }
  });
});

describe("useReason", () => {
  const nodes: DeviceNode[] = [
    { name: "sdb", dev: "8:16", partition: false },
    { name: "sdb1", dev: "8:17", partition: true },
    { name: "sdb2", dev: "8:18", partition: true },
  ];
  const header = "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
  const base =
    "22 27 0:21 / /proc rw,relatime - proc proc rw\n" +
    "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n" +
    "50 27 8:32 / /srv rw,relatime shared:7 - xfs /dev/sdc rw\n";

  test("nothing mounted or swapped: null", () => {
    assert.equal(useReason(nodes, base, header + "/dev/sdc1  partition\t1024\t0\t-2\n"), null);
  });

  test("the device itself, by device number", () => {
    const info = base + "60 27 8:16 / /mnt/whole\\040disk rw - ext4 /dev/disk/by-label/x rw\n";
    assert.equal(useReason(nodes, info, header), 'it is mounted on "/mnt/whole disk"');
  });

  test("a partition, with optional fields in the line", () => {
    const info = base + "61 27 8:18 / /data rw,relatime shared:9 master:2 - ext4 /dev/sdb2 rw\n";
    assert.equal(useReason(nodes, info, header), 'its partition /dev/sdb2 is mounted on "/data"');
  });

  test("btrfs: anonymous device number, matched by source", () => {
    const info = base + "62 27 0:45 / /pool rw - btrfs /dev/sdb1 rw,space_cache\n";
    assert.equal(useReason(nodes, info, header), 'its partition /dev/sdb1 is mounted on "/pool"');
  });

  test("swap on the device or a partition", () => {
    assert.equal(
      useReason(nodes, base, header + "/dev/sdb                                partition\t8\t0\t-2\n"),
      "it is in use as swap",
    );
    assert.equal(
      useReason(nodes, base, header + "/dev/sdb1\tpartition\t1024\t0\t-2\n"),
      "its partition /dev/sdb1 is in use as swap",
    );
  });
});
