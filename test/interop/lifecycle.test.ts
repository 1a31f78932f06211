/**
 * The whole instance lifecycle (add, list, info, reinstall, rename, job list, remove) through the built CLI
 * with Debian's real OS definitions (ganeti-os-noop, ganeti-instance-debootstrap), on file disks and on
 * adopted loop devices, each test in its own home, checked on the files, devices and filesystems it leaves.
 */
import { after, afterEach, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, open, readFile, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { attachLoop, detachLoop } from "../../src/disks/index.js";
import { guestos, type CliResult } from "./cli.js";
import { DEBOOTSTRAP, DEBOOTSTRAP_DEPS, debootstrapOs } from "./debootstrap.js";
import { requireDeps, type Dep } from "./deps.js";

const sh = promisify(execFile);
const NOOP = "/usr/share/ganeti/os/noop";
const MiB = 1024 * 1024;
// A cached bookworm create takes 20-40 s; an uncached one downloads the whole base system.
const SLOW = { timeout: 1_800_000 };

const NOOP_DEPS: Dep[] = [{ path: NOOP, pkg: "ganeti-os-noop" }];

/** cli.PollJob's `time.ctime(ts) + " "`: the day of the month is padded with a space. */
const CTIME = /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} /;

/** The messages of progress lines, each checked for its ctime prefix. */
function progress(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      assert.match(l, CTIME, `progress line without a ctime prefix: ${JSON.stringify(l)}`);
      return l.replace(CTIME, "");
    });
}

function ok(res: CliResult, what: string): void {
  assert.equal(res.code, 0, `${what} failed:\n${res.stderr}${res.stdout}`);
  assert.equal(res.stderr, "", `${what} wrote to stderr`);
}

/** An OS log file name as Ganeti's _InstanceLogName makes it (guestos adds `-N` when the second is taken). */
const logName = (kind: string, os: string, instance: string): RegExp =>
  new RegExp(
    `^${kind}-${os.replace(/[.+]/g, "\\$&")}-${instance.replace(/\./g, "\\.")}-\\d{4}-\\d\\d-\\d\\d_\\d\\d_\\d\\d_\\d\\d(-\\d+)?\\.log$`,
  );

async function sparseFile(path: string, size: number): Promise<void> {
  const fh = await open(path, "wx");
  try {
    await fh.truncate(size);
  } finally {
    await fh.close();
  }
}

async function sha256(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** Mount points at or below `dir`. */
async function mountsUnder(dir: string): Promise<string[]> {
  const { stdout } = await sh("findmnt", ["-rn", "-o", "TARGET"]);
  return stdout.split("\n").filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Loop devices whose backing file is at or below `dir` (deleted ones included). */
async function loopsUnder(dir: string): Promise<string[]> {
  const { stdout } = await sh("losetup", ["-l", "-n", "--raw", "-O", "NAME,BACK-FILE"]);
  return stdout
    .split("\n")
    .filter(Boolean)
    .filter((l) => {
      const back = l.slice(l.indexOf(" ") + 1);
      return back.startsWith(`${dir}/`);
    });
}

async function loopsOf(file: string): Promise<string> {
  return (await sh("losetup", ["-j", file])).stdout;
}

describe("the instance lifecycle with Debian's real OS definitions through the CLI", () => {
  let root: string;
  let searchDir: string;
  let debootstrapReady = false;
  // What a test attached or mounted, undone by afterEach whatever the test did.
  let loops: string[] = [];
  let mounts: string[] = [];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "guestos-lifecycle-"));
    searchDir = join(root, "os");
    await mkdir(searchDir);
    if (existsSync(NOOP)) await symlink(NOOP, join(searchDir, "noop"));
    if (existsSync(DEBOOTSTRAP)) {
      await debootstrapOs(searchDir);
      debootstrapReady = true;
    }
  });

  afterEach(async () => {
    for (const m of mounts.reverse()) {
      await sh("umount", [m]).catch(() => undefined);
    }
    for (const dev of loops.reverse()) await detachLoop(dev).catch(() => undefined);
    loops = [];
    mounts = [];
  });

  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  /** A fresh home and the CLI bound to it. */
  async function node(tag: string) {
    const home = await mkdtemp(join(root, `home-${tag}-`));
    const env = { ...process.env, GUESTOS_HOME: home, GUESTOS_OS_SEARCH_PATH: searchDir };
    return { home, cli: (args: string[]) => guestos(args, { env }) };
  }

  async function loop(file: string, opts: { readOnly?: boolean } = {}): Promise<string> {
    const dev = await attachLoop(file, opts);
    loops.push(dev);
    return dev;
  }

  async function unloop(dev: string): Promise<void> {
    await detachLoop(dev);
    loops = loops.filter((d) => d !== dev);
  }

  async function withMount<T>(
    device: string,
    opts: { rw?: boolean },
    fn: (dir: string) => Promise<T>,
  ): Promise<T> {
    const dir = await mkdtemp(join(root, "mnt-"));
    await sh("mount", ["-o", opts.rw ? "rw" : "ro", device, dir]);
    mounts.push(dir);
    try {
      return await fn(dir);
    } finally {
      await sh("umount", [dir]);
      mounts = mounts.filter((m) => m !== dir);
      await rm(dir, { recursive: true, force: true });
    }
  }

  /** Look into a disk image: attached read-only (or rw to change it) and mounted, detached afterwards. */
  async function inImage<T>(
    file: string,
    opts: { rw?: boolean },
    fn: (dir: string) => Promise<T>,
  ): Promise<T> {
    const dev = await loop(file, { readOnly: !opts.rw });
    try {
      return await withMount(dev, opts, fn);
    } finally {
      await unloop(dev);
    }
  }

  const hostname = async (m: string) => (await readFile(join(m, "etc/hostname"), "utf8")).trim();

  /** Nothing left attached to or mounted under the test's files. */
  async function assertClean(files: string[] = []): Promise<void> {
    for (const f of files) assert.equal(await loopsOf(f), "", `loop devices left on ${f}`);
    assert.deepEqual(await loopsUnder(root), []);
    assert.deepEqual(await mountsUnder(root), []);
  }

  function needDebootstrap(t: TestContext): boolean {
    return requireDeps(t, DEBOOTSTRAP_DEPS) && debootstrapReady;
  }

  /** The disk files of an instance with file storage, in disk order (`<uuid>.file.disk<N>`). */
  async function diskFiles(home: string, name: string): Promise<string[]> {
    const dir = join(home, "file-storage", name);
    const index = (f: string) => Number(/\.file\.disk(\d+)$/.exec(f)?.[1] ?? -1);
    return (await readdir(dir)).sort((a, b) => index(a) - index(b)).map((f) => join(dir, f));
  }

  test("noop (API 10) on file disks: add, list, info, reinstall, rename, jobs, logs, remove", async (t) => {
    if (!requireDeps(t, NOOP_DEPS)) return;
    const { home, cli } = await node("noop-file");
    const [name, newName] = ["web1.example.com", "web2.example.com"];

    const add = await cli([
      "instance",
      "add",
      "-o",
      "noop",
      "-t",
      "file",
      "--disk",
      "0:size=64M",
      "--disk",
      "1:size=32M",
      name,
    ]);
    ok(add, "add");
    assert.deepEqual(progress(add.stdout), [
      "* creating instance disks...",
      `adding instance ${name} to cluster config`,
      "adding disks to cluster config",
      "* running the instance OS create scripts...",
    ]);

    const storage = join(home, "file-storage", name);
    const files = await diskFiles(home, name);
    assert.equal(files.length, 2);
    const sizes = [64 * MiB, 32 * MiB];
    for (const [i, f] of files.entries()) {
      assert.match(f, new RegExp(`^${storage}/[0-9a-f-]{36}\\.file\\.disk${i}$`));
      const st = await stat(f);
      assert.equal(st.size, sizes[i]);
      assert.equal(st.blocks, 0, `${f} is not sparse`);
      assert.equal(st.mode & 0o777, 0o600);
    }

    const list = await cli([
      "instance",
      "list",
      "--no-headers",
      "-o",
      "name,os,disk_template,disk.sizes,install",
    ]);
    ok(list, "list");
    assert.equal(list.stdout, `${name} noop file 64,32 installed\n`);

    const info = await cli(["instance", "info", name]);
    ok(info, "info");
    const lines = info.stdout.split("\n");
    for (const want of [
      `- Instance name: ${name}`,
      "  State: configured to be down, actual state is down",
      "  Operating system: noop",
      "  Install state: installed",
      "  Disk template: file",
      "    - disk/0: file, size 64M",
      `      logical_id: ['loop', '${files[0]}']`,
      `      on primary: ${files[0]} (N/A:N/A)`,
      "    - disk/1: file, size 32M",
      `      logical_id: ['loop', '${files[1]}']`,
    ]) {
      assert.ok(lines.includes(want), `instance info lacks ${JSON.stringify(want)}:\n${info.stdout}`);
    }

    const reinstall = await cli(["instance", "reinstall", "-f", name]);
    ok(reinstall, "reinstall");
    const [waiting, ...rest] = reinstall.stdout.split("\n");
    assert.equal(waiting, `Waiting for job 2 for ${name} ...`);
    assert.deepEqual(progress(rest.join("\n")), [" - INFO: Running instance OS create scripts..."]);
    assert.deepEqual(await diskFiles(home, name), files, "reinstall keeps the disk files");

    const rename = await cli(["instance", "rename", name, newName]);
    ok(rename, "rename");
    assert.equal(rename.stdout, `Instance '${name}' renamed to '${newName}'\n`);
    assert.equal(existsSync(storage), false, "the old file storage directory is gone");
    const moved = files.map((f) => f.replace(`/${name}/`, `/${newName}/`));
    assert.deepEqual(await diskFiles(home, newName), moved);
    for (const [i, f] of moved.entries()) assert.equal((await stat(f)).size, sizes[i]);
    const renamedList = await cli([
      "instance",
      "list",
      "--no-headers",
      "-o",
      "name,os,disk_template,disk.sizes,install",
    ]);
    ok(renamedList, "list after rename");
    assert.equal(renamedList.stdout, `${newName} noop file 64,32 installed\n`);
    const renamedInfo = await cli(["instance", "info", newName]);
    ok(renamedInfo, "info after rename");
    assert.ok(renamedInfo.stdout.includes(`      logical_id: ['loop', '${moved[0]}']\n`), renamedInfo.stdout);

    const jobs = await cli(["job", "list"]);
    ok(jobs, "job list");
    assert.equal(
      jobs.stdout,
      "ID Status  Summary\n" +
        ` 1 success INSTANCE_CREATE(${name})\n` +
        ` 2 success INSTANCE_REINSTALL(${name})\n` +
        " 3 success INSTANCE_RENAME\n",
    );

    const logs = (await readdir(join(home, "log", "os"))).sort();
    assert.equal(logs.length, 3, logs.join(", "));
    assert.equal(logs.filter((l) => logName("add", "noop", name).test(l)).length, 2, logs.join(", "));
    assert.equal(
      logs.filter((l) => logName("rename", "noop", `${name}-${newName}`).test(l)).length,
      1,
      logs.join(", "),
    );

    const remove = await cli(["instance", "remove", "-f", newName]);
    ok(remove, "remove");
    assert.equal(remove.stdout, "");
    for (const f of moved) assert.equal(existsSync(f), false, `${f} is still there`);
    assert.equal(existsSync(join(home, "file-storage", newName)), false);
    assert.deepEqual(await readdir(join(home, "file-storage")), []);
    const empty = await cli(["instance", "list", "--no-headers"]);
    ok(empty, "list after remove");
    assert.equal(empty.stdout, "");
    const after = await cli(["job", "list", "--no-headers", "-o", "id,status,summary", "4"]);
    ok(after, "job list 4");
    assert.equal(after.stdout, `4 success INSTANCE_REMOVE(${newName})\n`);
    await assertClean();
  });

  test("noop on an adopted loop device: add skips create, reinstall runs it, remove leaves the device", async (t) => {
    if (!requireDeps(t, NOOP_DEPS)) return;
    const { home, cli } = await node("noop-adopt");
    const [name, newName] = ["adopt1.example.com", "adopt2.example.com"];
    const img = join(root, "noop-adopt.img");
    await sparseFile(img, 64 * MiB);
    const fh = await open(img, "r+");
    await fh.write(randomBytes(MiB), 0, MiB, 0);
    await fh.write(randomBytes(4096), 0, 4096, 40 * MiB);
    await fh.close();
    const before = await sha256(img);
    const dev = await loop(img);

    const add = await cli([
      "instance",
      "add",
      "-o",
      "noop",
      "-t",
      "blockdev",
      "--disk",
      `0:adopt=${dev}`,
      name,
    ]);
    ok(add, "add");
    assert.deepEqual(progress(add.stdout), [
      `adding instance ${name} to cluster config`,
      "adding disks to cluster config",
      ` - INFO: Disks were adopted: the OS create script is not run (as in Ganeti); install with "guestos instance reinstall ${name}"`,
    ]);
    assert.equal(
      existsSync(join(home, "log", "os")) ? (await readdir(join(home, "log", "os"))).length : 0,
      0,
    );
    const fields = ["instance", "list", "--no-headers", "-o", "name,os,disk_template,disk.sizes,install"];
    const list = await cli(fields);
    ok(list, "list");
    assert.equal(list.stdout, `${name} noop blockdev 64 skipped\n`);
    const info = await cli(["instance", "info", name]);
    ok(info, "info");
    assert.ok(info.stdout.includes("    - disk/0: blockdev, size 64M\n"), info.stdout);
    assert.ok(info.stdout.includes(`      logical_id: ['manual', '${dev}']\n`), info.stdout);

    const reinstall = await cli(["instance", "reinstall", "-f", name]);
    ok(reinstall, "reinstall");
    assert.deepEqual(progress(reinstall.stdout.split("\n").slice(1).join("\n")), [
      " - INFO: Running instance OS create scripts...",
    ]);
    const logs = await readdir(join(home, "log", "os"));
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, logName("add", "noop", name));
    const installed = await cli(fields);
    ok(installed, "list after reinstall");
    assert.equal(installed.stdout, `${name} noop blockdev 64 installed\n`);

    const rename = await cli(["instance", "rename", name, newName]);
    ok(rename, "rename");
    assert.equal(rename.stdout, `Instance '${name}' renamed to '${newName}'\n`);
    assert.equal(existsSync(join(home, "file-storage")), false, "no file storage for an adopted instance");

    const remove = await cli(["instance", "remove", "-f", newName]);
    ok(remove, "remove");
    assert.equal((await stat(dev)).isBlockDevice(), true);
    assert.match(await loopsOf(img), new RegExp(`^${dev}: `));
    await unloop(dev);
    assert.equal((await stat(img)).size, 64 * MiB);
    assert.equal(await sha256(img), before, "the adopted device's bytes changed");

    const jobs = await cli(["job", "list", "--no-headers"]);
    ok(jobs, "job list");
    assert.equal(
      jobs.stdout,
      `1 success INSTANCE_CREATE(${name})\n` +
        `2 success INSTANCE_REINSTALL(${name})\n` +
        "3 success INSTANCE_RENAME\n" +
        `4 success INSTANCE_REMOVE(${newName})\n`,
    );
    await assertClean([img]);
  });

  test(
    "debootstrap+bookworm (API 20) on a file disk: a system that reinstall remakes and rename renames",
    SLOW,
    async (t) => {
      if (!needDebootstrap(t)) return;
      const { home, cli } = await node("deb-file");
      const [name, newName] = ["deb1.example.com", "deb2.example.com"];
      const os = "debootstrap+bookworm";

      const add = await cli([
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
        name,
      ]);
      ok(add, "add");
      assert.deepEqual(progress(add.stdout), [
        "* creating instance disks...",
        `adding instance ${name} to cluster config`,
        "adding disks to cluster config",
        "* running the instance OS create scripts...",
      ]);
      const [disk] = await diskFiles(home, name);
      assert.equal((await stat(disk!)).size, 1024 * MiB);
      const list = await cli([
        "instance",
        "list",
        "--no-headers",
        "-o",
        "name,os,disk_template,disk.sizes,install",
      ]);
      ok(list, "list");
      assert.equal(list.stdout, `${name} ${os} file 1024 installed\n`);
      const info = await cli(["instance", "info", name]);
      ok(info, "info");
      assert.ok(info.stdout.includes(`  Operating system: ${os}\n  Install state: installed\n`), info.stdout);
      assert.ok(info.stdout.includes("  Operating system parameters: \n    filesystem: ext4\n"), info.stdout);
      // The script attached the file to a loop device itself and must have let it go.
      assert.equal(await loopsOf(disk!), "");

      await inImage(disk!, {}, async (m) => {
        assert.equal(await hostname(m), name);
        assert.match(await readFile(join(m, "etc/debian_version"), "utf8"), /^12\./);
      });
      await inImage(disk!, { rw: true }, async (m) => {
        await writeFile(join(m, "root/guestos-marker"), "before reinstall\n");
      });

      const reinstall = await cli(["instance", "reinstall", "-f", "--timeout", "1500", name]);
      ok(reinstall, "reinstall");
      assert.deepEqual(progress(reinstall.stdout.split("\n").slice(1).join("\n")), [
        " - INFO: Running instance OS create scripts...",
      ]);
      await inImage(disk!, {}, async (m) => {
        assert.equal(existsSync(join(m, "root/guestos-marker")), false, "reinstall kept the old filesystem");
        assert.equal(await hostname(m), name);
        assert.match(await readFile(join(m, "etc/debian_version"), "utf8"), /^12\./);
      });

      const rename = await cli(["instance", "rename", name, newName]);
      ok(rename, "rename");
      assert.equal(rename.stdout, `Instance '${name}' renamed to '${newName}'\n`);
      const [renamed] = await diskFiles(home, newName);
      assert.equal(renamed, disk!.replace(`/${name}/`, `/${newName}/`));
      assert.equal(existsSync(join(home, "file-storage", name)), false);
      await inImage(renamed, {}, async (m) => {
        assert.equal(await hostname(m), newName);
        assert.equal(await readFile(join(m, "etc/mailname"), "utf8"), `${newName}\n`);
      });

      const logs = (await readdir(join(home, "log", "os"))).sort();
      assert.equal(logs.filter((l) => logName("add", os, name).test(l)).length, 2, logs.join(", "));
      assert.equal(
        logs.filter((l) => logName("rename", os, `${name}-${newName}`).test(l)).length,
        1,
        logs.join(", "),
      );

      const remove = await cli(["instance", "remove", "-f", newName]);
      ok(remove, "remove");
      assert.equal(existsSync(renamed), false);
      assert.equal(existsSync(join(home, "file-storage", newName)), false);
      const jobs = await cli(["job", "list", "--no-headers"]);
      ok(jobs, "job list");
      assert.equal(
        jobs.stdout,
        `1 success INSTANCE_CREATE(${name})\n` +
          `2 success INSTANCE_REINSTALL(${name})\n` +
          "3 success INSTANCE_RENAME\n" +
          `4 success INSTANCE_REMOVE(${newName})\n`,
      );
      await assertClean();
    },
  );

  test(
    "debootstrap+bookworm on an adopted loop device: reinstall installs it, rename renames it",
    SLOW,
    async (t) => {
      if (!needDebootstrap(t)) return;
      const { cli } = await node("deb-adopt");
      const [name, newName] = ["debadopt1.example.com", "debadopt2.example.com"];
      const os = "debootstrap+bookworm";
      const img = join(root, "deb-adopt.img");
      await sparseFile(img, 1024 * MiB);
      const dev = await loop(img);

      const add = await cli([
        "instance",
        "add",
        "-o",
        os,
        "-t",
        "blockdev",
        "--disk",
        `0:adopt=${dev}`,
        name,
      ]);
      ok(add, "add");
      assert.deepEqual(progress(add.stdout), [
        `adding instance ${name} to cluster config`,
        "adding disks to cluster config",
        ` - INFO: Disks were adopted: the OS create script is not run (as in Ganeti); install with "guestos instance reinstall ${name}"`,
      ]);
      const fields = ["instance", "list", "--no-headers", "-o", "name,os,disk_template,disk.sizes,install"];
      const list = await cli(fields);
      ok(list, "list");
      assert.equal(list.stdout, `${name} ${os} blockdev 1024 skipped\n`);
      // Nothing was written: the device is still all zeros, with no filesystem to find.
      const blkid = await sh("blkid", ["-p", dev]).then(
        () => 0,
        (err: { code?: number }) => err.code,
      );
      assert.equal(blkid, 2, "add wrote a filesystem on the adopted device");

      const reinstall = await cli(["instance", "reinstall", "-f", "--timeout", "1500", name]);
      ok(reinstall, "reinstall");
      const installed = await cli(fields);
      ok(installed, "list after reinstall");
      assert.equal(installed.stdout, `${name} ${os} blockdev 1024 installed\n`);
      await withMount(dev, {}, async (m) => {
        assert.equal(await hostname(m), name);
        assert.match(await readFile(join(m, "etc/debian_version"), "utf8"), /^12\./);
      });

      const rename = await cli(["instance", "rename", name, newName]);
      ok(rename, "rename");
      assert.equal(rename.stdout, `Instance '${name}' renamed to '${newName}'\n`);
      await withMount(dev, {}, async (m) => {
        assert.equal(await hostname(m), newName);
      });

      const remove = await cli(["instance", "remove", "-f", newName]);
      ok(remove, "remove");
      // The device and the system on it stay: guestos never wipes what it adopted.
      assert.match(await loopsOf(img), new RegExp(`^${dev}: `));
      await withMount(dev, {}, async (m) => {
        assert.equal(await hostname(m), newName);
      });
      await unloop(dev);
      await assertClean([img]);
    },
  );
});
