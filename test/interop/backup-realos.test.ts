/**
 * `guestos backup export` and `import` through Debian's real OS definitions, each test on its own node:
 * ganeti-os-noop (API 10: export is `dd if=$EXPORT_DEVICE` announcing the size on EXP_SIZE_FD, import
 * `dd of=$IMPORT_DEVICE`) moves random bytes that must come back identical, uncompressed and with zstd;
 * ganeti-instance-debootstrap (export `dump` of the ext4 filesystem, import `mke2fs` and `restore`, then
 * rename) moves a Debian system whose files are compared after the import.
 */
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, open, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { CliResult } from "./cli.js";
import { DEBOOTSTRAP_DEPS, debootstrapOs } from "./debootstrap.js";
import { requireDeps, type Dep } from "./deps.js";
import { assertNothingLeft, loopsUnder, makeSandbox, mountsUnder, type Sandbox } from "../node/sandbox.js";

const sh = promisify(execFile);
const HOST = hostname();
const MiB = 1024 * 1024;
const NOOP = "/usr/share/ganeti/os/noop";
const NOOP_DEPS: Dep[] = [{ path: NOOP, pkg: "ganeti-os-noop" }];
/** Debian's debootstrap export and import scripts run `dump` and `restore`. */
const DUMP_DEPS: Dep[] = [
  { path: "/usr/sbin/dump", pkg: "dump" },
  { path: "/usr/sbin/restore", pkg: "dump" },
];
// A cached bookworm create takes 20-40 s; an uncached one downloads the whole base system.
const SLOW = { timeout: 1_800_000 };

function ok(res: CliResult, what: string): void {
  assert.equal(res.code, 0, `${what} failed:\n${res.stderr}${res.stdout}`);
  assert.equal(res.stderr, "", `${what} wrote to stderr`);
}

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");
const sha256File = async (path: string): Promise<string> => sha256(await readFile(path));

/** An instance's disk files in disk order (`<uuid>.file.disk<N>`). */
function diskFiles(sb: Sandbox, name: string): string[] {
  const dir = join(sb.home, "file-storage", name);
  const index = (f: string): number => Number(/\.file\.disk(\d+)$/.exec(f)?.[1] ?? -1);
  return readdirSync(dir)
    .sort((a, b) => index(a) - index(b))
    .map((f) => join(dir, f));
}

/** The job log lines of a CLI run, without their ctime prefix. */
const progress = (stdout: string): string[] =>
  stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.replace(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} /, ""));

/** Look into a disk image: attached to a loop device and mounted (read-only unless `rw`), undone afterwards. */
async function inImage<T>(
  sb: Sandbox,
  file: string,
  opts: { rw?: boolean },
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const dev = (await sh("losetup", ["--show", "-f", ...(opts.rw ? [] : ["-r"]), file])).stdout.trim();
  try {
    const dir = await mkdtemp(sb.path("mnt-"));
    await sh("mount", ["-o", opts.rw ? "rw" : "ro", dev, dir]);
    try {
      return await fn(dir);
    } finally {
      await sh("umount", [dir]);
      await rm(dir, { recursive: true });
    }
  } finally {
    await sh("losetup", ["-d", dev]);
  }
}

/** The filesystem UUID in an image. */
async function fsUuid(file: string): Promise<string> {
  return (await sh("blkid", ["-o", "value", "-s", "UUID", file])).stdout.trim();
}

describe("backups through Debian's real OS definitions", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await makeSandbox("guestos-backup-realos-");
  });
  afterEach(async () => {
    const root = sb.root;
    await sb.cleanup();
    await assertNothingLeft(root);
  });

  test("noop (API 10): random bytes on two disks come back identical, uncompressed and with zstd", async (t) => {
    if (!requireDeps(t, NOOP_DEPS)) return;
    await symlink(NOOP, join(sb.osDir, "noop"));
    const [src, dst, dst2] = ["src.example.com", "dst.example.com", "dst2.example.com"];
    const sizes = [16, 8];
    ok(
      await sb.run([
        "instance",
        "add",
        "-o",
        "noop",
        "-t",
        "file",
        "--disk",
        "0:size=16M",
        "--disk",
        "1:size=8M",
        src,
      ]),
      "add",
    );
    const sources = diskFiles(sb, src);
    // disk/0 random throughout; disk/1 random runs between zeros.
    await writeFile(sources[0]!, randomBytes(16 * MiB));
    const fh = await open(sources[1]!, "r+");
    for (const [offset, length] of [
      [0, 100_003],
      [3 * MiB + 5, 2 * MiB],
      [8 * MiB - 512, 512],
    ] as const) {
      await fh.write(randomBytes(length), 0, length, offset);
    }
    await fh.close();
    const sums = await Promise.all(sources.map(sha256File));

    const exp = await sb.run(["backup", "export", src]);
    ok(exp, "export");
    const dir = join(sb.home, "export", src);
    const config = readFileSync(join(dir, "config.ini"), "utf8");
    assert.match(config, /^os = noop$/m);
    for (const [i, f] of sources.entries()) {
      const uuid = /([0-9a-f-]{36})\.file\.disk\d+$/.exec(f)![1]!;
      assert.match(config, new RegExp(`^disk${i}_dump = ${uuid}$`, "m"));
      // noop's export is `dd` of the device: the dump is the disk, byte for byte.
      assert.equal(await sha256File(join(dir, uuid)), sums[i]);
      assert.equal(statSync(join(dir, uuid)).size, sizes[i]! * MiB);
    }
    const logs = readdirSync(join(sb.home, "log", "os"));
    for (const i of [0, 1]) {
      assert.equal(
        logs.filter((l) => new RegExp(`^export-noop-src\\.example\\.com-disk${i}-\\d{4}-`).test(l)).length,
        1,
        logs.join(", "),
      );
    }

    const imp = await sb.run(["backup", "import", "--src", src, dst]);
    ok(imp, "import");
    assert.ok(progress(imp.stdout).includes("disk/0 finished receiving data (sha256 verified)"), imp.stdout);
    assert.ok(progress(imp.stdout).includes(`Running rename script for ${dst}`), imp.stdout);
    const imported = diskFiles(sb, dst);
    for (const [i, f] of imported.entries()) {
      assert.equal(statSync(f).size, sizes[i]! * MiB);
      assert.equal(await sha256File(f), sums[i], `disk/${i} differs after the round trip`);
    }

    // zstd into another root: compressed dumps, the same bytes after the import.
    const other = sb.path("zstd-exports");
    ok(await sb.run(["backup", "export", "--dir", other, "--compress", "zstd", src]), "zstd export");
    const list = await sb.run(["backup", "list", "--dir", other, "--no-headers"]);
    ok(list, "list");
    assert.equal(list.stdout, `${HOST} ${src}\n`);
    assert.match(readFileSync(join(other, src, "config.ini"), "utf8"), /^disk1_compression = zstd$/m);
    ok(await sb.run(["backup", "import", "--dir", other, "--src", src, dst2]), "zstd import");
    for (const [i, f] of diskFiles(sb, dst2).entries()) {
      assert.equal(await sha256File(f), sums[i], `disk/${i} differs after the zstd round trip`);
    }
    const states = await sb.run(["instance", "list", "--no-headers", "-o", "name,install"]);
    ok(states, "instance list");
    assert.equal(states.stdout, `${dst2} installed\n${dst}  installed\n${src}  installed\n`);
    assert.deepEqual(await loopsUnder(sb.root), []);
  });

  test("debootstrap+bookworm on a file disk: the system's files come back, renamed", SLOW, async (t) => {
    if (!requireDeps(t, [...DEBOOTSTRAP_DEPS, ...DUMP_DEPS])) return;
    await debootstrapOs(sb.osDir);
    const os = "debootstrap+bookworm";
    const [src, dst] = ["deb1.example.com", "deb2.example.com"];
    ok(
      await sb.run([
        "instance",
        "add",
        "-o",
        os,
        "-t",
        "file",
        "--disk",
        "0:size=1024M",
        "-O",
        "filesystem=ext4",
        "--timeout",
        "1500",
        src,
      ]),
      "add",
    );
    const [srcDisk] = diskFiles(sb, src);
    const marker = randomBytes(32).toString("hex");
    await inImage(sb, srcDisk!, { rw: true }, async (m) => {
      await writeFile(join(m, "root/guestos-marker"), `${marker}\n`);
    });
    const before = await inImage(sb, srcDisk!, {}, async (m) => ({
      hostname: readFileSync(join(m, "etc/hostname"), "utf8"),
      debianVersion: readFileSync(join(m, "etc/debian_version"), "utf8"),
      ls: await sha256File(join(m, "usr/bin/ls")),
    }));
    assert.equal(before.hostname, `${src}\n`);
    assert.match(before.debianVersion, /^12\./);
    const srcUuid = await fsUuid(srcDisk!);

    ok(await sb.run(["backup", "export", "--timeout", "1500", src]), "export");
    const dir = join(sb.home, "export", src);
    const config = readFileSync(join(dir, "config.ini"), "utf8");
    assert.match(config, /^os = debootstrap\+bookworm$/m);
    assert.match(config, /^\[os\]\n(?:.+\n)*?filesystem = ext4\n/m);
    const dumpName = /^disk0_dump = (.+)$/m.exec(config)![1]!;
    const dump = join(dir, dumpName);
    // A filesystem dump (dump(8)'s format), not an image of the disk.
    assert.ok(statSync(dump).size < 1024 * MiB, `the dump has ${statSync(dump).size} bytes`);
    const listing = (await sh("restore", ["-t", "-f", dump], { maxBuffer: 64 * MiB })).stdout;
    assert.match(listing, /\.\/root\/guestos-marker$/m);

    ok(await sb.run(["backup", "import", "--timeout", "1500", "--src", src, dst]), "import");
    const [dstDisk] = diskFiles(sb, dst);
    const dstUuid = await fsUuid(dstDisk!);
    assert.notEqual(dstUuid, srcUuid, "import made a new filesystem");
    await inImage(sb, dstDisk!, {}, async (m) => {
      // rename ran with OLD_INSTANCE_NAME = the exported name, as Ganeti runs it after every import.
      assert.equal(readFileSync(join(m, "etc/hostname"), "utf8"), `${dst}\n`);
      assert.equal(readFileSync(join(m, "etc/mailname"), "utf8"), `${dst}\n`);
      assert.equal(readFileSync(join(m, "etc/debian_version"), "utf8"), before.debianVersion);
      assert.equal(await sha256File(join(m, "usr/bin/ls")), before.ls);
      assert.equal(readFileSync(join(m, "root/guestos-marker"), "utf8"), `${marker}\n`);
      // The import script points fstab at the new filesystem.
      assert.match(
        readFileSync(join(m, "etc/fstab"), "utf8"),
        new RegExp(`^UUID=${dstUuid}\\s+/\\s+ext4\\s+defaults\\s+0\\s+1$`, "m"),
      );
    });
    // The source is untouched by its export.
    await inImage(sb, srcDisk!, {}, async (m) => {
      assert.equal(await readFile(join(m, "etc/hostname"), "utf8"), `${src}\n`);
    });
    const states = await sb.run(["instance", "list", "--no-headers", "-o", "name,os,install"]);
    ok(states, "instance list");
    assert.equal(states.stdout, `${src} ${os} installed\n${dst} ${os} installed\n`);
    assert.deepEqual(await loopsUnder(sb.root), []);
    assert.deepEqual(await mountsUnder(sb.root), []);
  });
});
