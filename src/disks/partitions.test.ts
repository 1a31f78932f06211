import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { isGuestosError } from "../errors.js";
import { attachLoop, detachLoop, detachLoopsBackedBy, loopsBackedBy } from "./loop.js";
import { listPartitions, partitionNumber, withPartition } from "./partitions.js";

const run = promisify(execFile);
const MIB = 1024 * 1024;
const LINUX_GUID = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";

let tmp: string;
const images: string[] = [];
const mounts: string[] = [];

/** A new sparse image of `sizeMiB`, partitioned by feeding `script` to sfdisk's stdin (no shell). */
async function image(name: string, sizeMiB: number, script?: string): Promise<string> {
  const path = join(tmp, name);
  await writeFile(path, "");
  await truncate(path, sizeMiB * MIB);
  images.push(path);
  if (script !== undefined) {
    const pending = run("sfdisk", ["-q", "--", path]);
    pending.child.stdin!.end(script);
    await pending;
  }
  return path;
}

before(async () => {
  tmp = await mkdtemp(join(tmpdir(), "guestos-disks-partitions-"));
});

after(async () => {
  for (const mnt of mounts) await run("umount", [mnt]).catch(() => undefined);
  for (const path of images) {
    const leaked = await detachLoopsBackedBy(path);
    assert.deepEqual(leaked, [], `loop devices left on ${path}`);
    assert.deepEqual(await loopsBackedBy(path), []);
  }
  await rm(tmp, { recursive: true, force: true });
  assert.equal(existsSync(tmp), false);
});

const DOS = [
  { number: 1, startBytes: 1 * MIB, sizeBytes: 16 * MIB, type: "83" },
  { number: 2, startBytes: 17 * MIB, sizeBytes: 47 * MIB, type: "5" },
  { number: 5, startBytes: 18 * MIB, sizeBytes: 8 * MIB, type: "83" },
];

describe("listPartitions", () => {
  test("a DOS label with a logical partition: kernel numbers, bytes, types", async () => {
    const img = await image("dos.img", 64, "label: dos\n,16M,83\n,,5\n,8M,83\n");
    assert.deepEqual(await listPartitions(img), DOS);
  });

  test("the same table read through a loop device (node names with a p)", async () => {
    const img = await image("dos-loop.img", 64, "label: dos\n,16M,83\n,,5\n,8M,83\n");
    const dev = await attachLoop(img);
    try {
      assert.deepEqual(await listPartitions(dev), DOS);
    } finally {
      await detachLoop(dev);
    }
  });

  test("GPT numbers survive a deleted partition", async () => {
    const img = await image("gpt.img", 32, "label: gpt\n,8M\n,8M\n");
    await run("sfdisk", ["-q", "--delete", img, "1"]);
    assert.deepEqual(await listPartitions(img), [
      { number: 2, startBytes: 9 * MIB, sizeBytes: 8 * MIB, type: LINUX_GUID },
    ]);
  });

  test("no table: no partitions", async () => {
    assert.deepEqual(await listPartitions(await image("blank.img", 8)), []);
  });

  test("a missing file is an error with sfdisk's reason", async () => {
    const path = join(tmp, "missing.img");
    await assert.rejects(
      () => listPartitions(path),
      (err: unknown) =>
        isGuestosError(err, "PARTITIONS_READ") &&
        err.message ===
          `Cannot read the partition table of "${path}": sfdisk: cannot open ${path}: No such file or directory`,
    );
  });
});

describe("partitionNumber", () => {
  test("reads sfdisk's node names", () => {
    assert.equal(partitionNumber("img", "img1"), 1);
    assert.equal(partitionNumber("/dev/loop0", "/dev/loop0p12"), 12);
    assert.equal(partitionNumber("/dev/disk/by-id/x", "/dev/disk/by-id/x-part3"), 3);
    assert.equal(partitionNumber("/dev/sda", "/dev/sdb"), null);
    assert.equal(partitionNumber("img", "img0"), null);
  });

  test("round-trips any device name and number", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 4096 }), (device, n) => {
        const node = `${device}${/\d$/.test(device) ? "p" : ""}${n}`;
        assert.equal(partitionNumber(device, node), n);
      }),
    );
  });
});

describe("withPartition", () => {
  test("an ext4 made on the partition's loop lands at its offset, mounts, and leaves the rest alone", async () => {
    const img = await image("fs.img", 64, "label: dos\n,16M,83\n,,83\n");
    const [p1, p2] = await listPartitions(img);
    const marker = Buffer.from("partition two stays as it was");
    const fh = await open(img, "r+");
    await fh.write(marker, 0, marker.length, p2!.startBytes);
    await fh.close();

    const mnt = join(tmp, "mnt");
    await mkdir(mnt);
    const seen = await withPartition(img, 1, async (dev) => {
      assert.deepEqual(await loopsBackedBy(img), [dev]);
      const { stdout } = await run("blockdev", ["--getsize64", dev]);
      await run("mkfs.ext4", ["-q", dev]);
      mounts.push(mnt);
      await run("mount", [dev, mnt]);
      try {
        await writeFile(join(mnt, "hello"), "world");
      } finally {
        await run("umount", [mnt]);
        mounts.pop();
      }
      return Number(stdout.trim());
    });
    assert.equal(seen, p1!.sizeBytes);
    assert.deepEqual(await loopsBackedBy(img), []);

    const bytes = await readFile(img);
    // The ext4 superblock magic 0xEF53 sits 1080 bytes into the filesystem.
    assert.equal(bytes.readUInt16LE(p1!.startBytes + 1080), 0xef53);
    assert.deepEqual(bytes.subarray(p2!.startBytes, p2!.startBytes + marker.length), marker);
    assert.deepEqual(await listPartitions(img), [p1, p2]);

    const content = await withPartition(img, 1, async (dev) => {
      await run("mount", ["-o", "ro", dev, mnt]);
      mounts.push(mnt);
      try {
        return await readFile(join(mnt, "hello"), "utf8");
      } finally {
        await run("umount", [mnt]);
        mounts.pop();
      }
    });
    assert.equal(content, "world");
    assert.deepEqual(await loopsBackedBy(img), []);
  });

  test("detaches the loop when fn throws, and passes the error on", async () => {
    const img = await image("throw.img", 16, "label: gpt\n,4M\n");
    let device = "";
    await assert.rejects(
      () =>
        withPartition(img, 1, (dev) => {
          device = dev;
          return Promise.reject(new Error("boom"));
        }),
      { message: "boom" },
    );
    assert.match(device, /^\/dev\/loop\d+$/);
    assert.deepEqual(await loopsBackedBy(img), []);
  });

  test("a partition that is not there attaches nothing", async () => {
    const img = await image("few.img", 64, "label: dos\n,16M,83\n,,5\n,8M,83\n");
    await assert.rejects(
      () => withPartition(img, 3, () => Promise.resolve()),
      (err: unknown) =>
        isGuestosError(err, "PARTITION_MISSING") &&
        err.message === `Cannot use partition 3 of "${img}": there is no such partition (it has 1, 2, 5)`,
    );
    const blank = await image("none.img", 8);
    await assert.rejects(
      () => withPartition(blank, 1, () => Promise.resolve()),
      (err: unknown) =>
        isGuestosError(err, "PARTITION_MISSING") &&
        err.message === `Cannot use partition 1 of "${blank}": there is no such partition (it has none)`,
    );
    assert.deepEqual(await loopsBackedBy(img), []);
  });
});
