/**
 * Backups between guestos and a real Ganeti 3.0 cluster (test/interop/cluster.ts), in both directions:
 * gnt-backup export read by `guestos backup import`, and `guestos backup export` read by gnt-backup
 * import; checked on the sha256 of the disks on both sides, on the NICs each side took from the other's
 * config.ini, and on what each side says about the export. Then a real system both ways: Debian's
 * debootstrap OS (dump and restore of an ext4 filesystem) from guestos into Ganeti and back.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { guestos, type CliResult } from "./cli.js";
import { CLUSTER_DEPS, startCluster, type GanetiCluster } from "./cluster.js";
import { DEBOOTSTRAP_DEPS, debootstrapOs } from "./debootstrap.js";
import { requireDeps, type Dep } from "./deps.js";

const sh = promisify(execFile);
const NOOP = "/usr/share/ganeti/os/noop";
const DEPS: Dep[] = [...CLUSTER_DEPS, { path: NOOP, pkg: "ganeti-os-noop" }];
const MiB = 1024 * 1024;
/** The disks of every instance here, in MiB. */
const SIZES = [16, 8];
/** What guestos's job log says of a disk whose dump has no checksum (no [guestos] section: made by Ganeti). */
const UNVERIFIED = (i: number) =>
  `disk/${i} finished receiving data (not verified: the export records no checksum)`;

const QUICK = { timeout: 300_000 };
// A cached bookworm create takes 5-40 s; an uncached one downloads the whole base system.
const SLOW = { timeout: 1_800_000 };

/** A command line without quoting (none of its words has a space) as argv. */
const argv = (line: string): string[] => line.split(" ");

function ok(res: CliResult, what: string): void {
  assert.equal(res.code, 0, `${what} failed:\n${res.stderr}${res.stdout}`);
  assert.equal(res.stderr, "", `${what} wrote to stderr`);
}

async function sha256(path: string): Promise<string> {
  return createHash("sha256")
    .update(await readFile(path))
    .digest("hex");
}

/** The `count` disk files `<uuid>.file.disk<N>` in `dir` (as Ganeti and guestos both name them), in order. */
async function diskFiles(dir: string, count = SIZES.length): Promise<string[]> {
  const index = (f: string) => Number(/\.file\.disk(\d+)$/.exec(f)?.[1] ?? -1);
  const files = (await readdir(dir)).sort((a, b) => index(a) - index(b));
  assert.deepEqual(
    files.map(index),
    Array.from({ length: count }, (_, i) => i),
    `disk files in ${dir}: ${files.join(", ")}`,
  );
  return files.map((f) => join(dir, f));
}

/** Fill each file with random bytes (its whole size); returns their sha256, in order. */
async function fillRandom(files: string[]): Promise<string[]> {
  const sums: string[] = [];
  for (const [i, f] of files.entries()) {
    const bytes = randomBytes(SIZES[i]! * MiB);
    await writeFile(f, bytes);
    sums.push(createHash("sha256").update(bytes).digest("hex"));
  }
  return sums;
}

/**
 * config.ini without what differs between two exports of the same instance (timestamp, source node,
 * instance name, dump names) and without the sections only one side writes: [os_private] (Ganeti always,
 * guestos only with --include-private) and [guestos].
 */
function comparable(ini: string): string {
  return ini
    .split(/\n(?=\[)/)
    .filter((section) => !/^\[(?:guestos|os_private)\]\n/.test(section))
    .join("\n")
    .replace(/^(timestamp|source|name|disk\d+_dump) = .*$/gm, "$1 = *");
}

/** Mount points and loop devices at or below any of `dirs`. */
async function leftovers(dirs: string[]): Promise<string[]> {
  const under = (p: string) => dirs.some((d) => p === d || p.startsWith(`${d}/`));
  const mounts = (await sh("findmnt", ["-rn", "-o", "TARGET"])).stdout.split("\n").filter(under);
  const loops = (await sh("losetup", ["-l", "-n", "--raw", "-O", "NAME,BACK-FILE"])).stdout
    .split("\n")
    .filter((l) => l !== "" && under(l.slice(l.indexOf(" ") + 1)));
  return [...mounts, ...loops];
}

describe("backups between guestos and a real Ganeti 3.0 cluster", () => {
  const ready = DEPS.every((d) => existsSync(d.path));
  let cluster: GanetiCluster | undefined;
  let clusterRoot: string | undefined;
  let work: string;
  let searchDir: string;
  let debootstrapReady = false;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), "guestos-backup-ganeti-"));
    searchDir = join(work, "os");
    await mkdir(searchDir);
    if (!ready) return;
    await symlink(NOOP, join(searchDir, "noop"));
    // All the cluster's state is private, so ending its processes restores the machine (cluster.ts).
    cluster = await startCluster({ teardown: "kill" });
    clusterRoot = cluster.root;
    if (DEBOOTSTRAP_DEPS.every((d) => existsSync(d.path))) {
      // The same definition on both sides: Debian's scripts with a partitionless bookworm variant.
      await cluster.installOs("debootstrap", await debootstrapOs(searchDir));
      debootstrapReady = true;
    }
  });

  after(async () => {
    try {
      await cluster?.stop();
    } finally {
      await rm(work, { recursive: true, force: true });
    }
    // Loop devices attached inside the namespaces name their files as the cluster sees them.
    const dirs = [work, "/srv/ganeti/file-storage", ...(clusterRoot ? [clusterRoot] : [])];
    assert.deepEqual(await leftovers(dirs), []);
  });

  /** A fresh guestos home and the CLI bound to it. */
  async function node(tag: string) {
    const home = await mkdtemp(join(work, `home-${tag}-`));
    const env = { ...process.env, GUESTOS_HOME: home, GUESTOS_OS_SEARCH_PATH: searchDir };
    return { home, cli: (args: string[]) => guestos(args, { env }) };
  }

  /** Mount the filesystem in the disk image `file` for `fn`; unmounted (and detached) after. */
  async function inImage<T>(
    file: string,
    opts: { rw?: boolean },
    fn: (dir: string) => Promise<T>,
  ): Promise<T> {
    const dir = await mkdtemp(join(work, "mnt-"));
    try {
      // mount sets autoclear on the loop device it attaches, so umount detaches it too.
      await sh("mount", ["-o", opts.rw ? "loop,rw" : "loop,ro", file, dir]);
      try {
        return await fn(dir);
      } finally {
        await sh("umount", [dir]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  test("gnt-backup export is imported by guestos backup import, disks byte for byte", QUICK, async (t) => {
    if (!requireDeps(t, DEPS)) return;
    const c = cluster!;
    const node1 = c.nodeName;
    const inst = "g1.gnt.test";
    await c.runOk(
      argv(
        `gnt-instance add -o noop -t file --disk 0:size=${SIZES[0]}M --disk 1:size=${SIZES[1]}M ` +
          `--net 0:ip=192.0.2.60 --no-start --no-name-check --no-ip-check -n ${node1} ${inst}`,
      ),
    );
    const disks = await diskFiles(c.hostPath(`${c.fileStorageDir}/${inst}`));
    const info = await c.runOk(["gnt-instance", "info", inst]);
    for (const d of disks) {
      const inCluster = `${c.fileStorageDir}/${inst}/${d.slice(d.lastIndexOf("/") + 1)}`;
      assert.ok(info.includes(inCluster), `gnt-instance info ${inst} does not name ${inCluster}:\n${info}`);
    }
    const sums = await fillRandom(disks);
    const [mac, ip, mode, link] = (
      await c.runOk(
        argv(`gnt-instance list --no-headers --separator=| -o nic.macs,nic.ips,nic.modes,nic.links ${inst}`),
      )
    )
      .trim()
      .split("|");

    await c.runOk(["gnt-backup", "export", "-n", node1, inst]);
    const exported = c.hostPath(`${c.exportDir}/${inst}`);
    const ini = await readFile(join(exported, "config.ini"), "utf8");
    assert.doesNotMatch(ini, /^\[guestos\]$/m);

    const { home, cli } = await node("from-ganeti");
    const infoRes = await cli(["backup", "info", exported]);
    ok(infoRes, "backup info");
    const infoLines = infoRes.stdout.split("\n");
    for (const want of [`- Export: ${inst}`, `  Path: ${exported}`, "  OS: noop", "  Made by: Ganeti"]) {
      assert.ok(infoLines.includes(want), `backup info lacks ${JSON.stringify(want)}:\n${infoRes.stdout}`);
    }

    const copy = "g1copy.example.com";
    const imp = await cli(["backup", "import", "--src", exported, copy]);
    ok(imp, "backup import");
    const lines = imp.stdout
      .split("\n")
      .map((l) => l.replace(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} /, ""));
    for (const i of SIZES.keys()) {
      assert.ok(lines.includes(UNVERIFIED(i)), `import output lacks ${UNVERIFIED(i)}:\n${imp.stdout}`);
    }
    assert.doesNotMatch(imp.stdout, /sha256 verified/);

    const copies = await diskFiles(join(home, "file-storage", copy));
    assert.deepEqual(await Promise.all(copies.map(sha256)), sums);
    assert.deepEqual(await Promise.all(disks.map(sha256)), sums, "Ganeti's disks changed");

    const list = await cli(
      argv(
        `instance list --no-headers --separator=| -o name,os,install,nic.macs,nic.ips,nic.modes,nic.links ${copy}`,
      ),
    );
    ok(list, "instance list");
    assert.equal(list.stdout, `${copy}|noop|installed|${mac}|${ip}|${mode}|${link}\n`);
  });

  test("guestos backup export is imported by gnt-backup import, disks byte for byte", QUICK, async (t) => {
    if (!requireDeps(t, DEPS)) return;
    const c = cluster!;
    const node1 = c.nodeName;
    const { home, cli } = await node("to-ganeti");
    const inst = "gx.example.com";
    // The cluster runs only the fake hypervisor, and Ganeti imports with the export's: guestos's default
    // (kvm) would be refused ("Selected hypervisor (kvm) not enabled in the cluster (fake)"). A routed NIC
    // with an address: the cluster has no bridges, so Ganeti takes this NIC as it is.
    ok(
      await cli(
        argv(
          `instance add -o noop -t file --disk 0:size=${SIZES[0]}M --disk 1:size=${SIZES[1]}M ` +
            `-H fake --net 0:mode=routed,link=100,ip=192.0.2.70 ${inst}`,
        ),
      ),
      "instance add",
    );
    const sums = await fillRandom(await diskFiles(join(home, "file-storage", inst)));
    const nicRes = await cli(
      argv(`instance list --no-headers --separator=| -o nic.macs,nic.ips,nic.modes,nic.links ${inst}`),
    );
    ok(nicRes, "instance list");
    const nic = nicRes.stdout.trim();

    ok(await cli(["backup", "export", "--dir", c.hostPath(c.exportDir), inst]), "backup export");
    const exported = c.hostPath(`${c.exportDir}/${inst}`);
    const ini = await readFile(join(exported, "config.ini"), "utf8");
    assert.match(ini, /^\[guestos\]$/m);
    // Nothing of guestos's staging is left in Ganeti's export directory.
    const entries = await readdir(c.hostPath(c.exportDir));
    assert.ok(entries.includes(inst) && entries.every((e) => !e.startsWith(".")), entries.join(", "));

    const list = await c.runOk(["gnt-backup", "list", "--no-headers", "--separator=|"]);
    assert.ok(list.split("\n").includes(`${node1}|${inst}`), `gnt-backup list:\n${list}`);

    const target = "gx.gnt.test";
    const imp = await c.runOk(
      argv(
        `gnt-backup import -n ${node1} --src-node ${node1} --src-dir ${c.exportDir}/${inst} ` +
          `-t file --no-name-check --no-ip-check ${target}`,
      ),
    );
    // A disk Ganeti could not import is only a warning there.
    assert.doesNotMatch(imp, /WARNING/);
    for (const i of SIZES.keys()) assert.match(imp, new RegExp(`disk/${i} finished receiving data$`, "m"));

    const imported = await diskFiles(c.hostPath(`${c.fileStorageDir}/${target}`));
    assert.deepEqual(await Promise.all(imported.map(sha256)), sums);
    const ganetiNic = await c.runOk(
      argv(
        `gnt-instance list --no-headers --separator=| -o os,nic.macs,nic.ips,nic.modes,nic.links ${target}`,
      ),
    );
    assert.equal(ganetiNic, `noop|${nic}\n`);

    // Ganeti's own export of what it imported: the same config.ini as guestos's but for what names this
    // export (time, source node, instance, dumps) and the sections only one of them writes.
    await c.runOk(["gnt-backup", "export", "-n", node1, target]);
    const again = c.hostPath(`${c.exportDir}/${target}`);
    assert.equal(
      comparable(await readFile(join(again, "config.ini"), "utf8")),
      comparable(ini),
      "Ganeti's config.ini of the imported instance differs from guestos's",
    );
    const dumps = [
      ...(await readFile(join(again, "config.ini"), "utf8")).matchAll(/^disk\d+_dump = (.+)$/gm),
    ];
    assert.deepEqual(await Promise.all(dumps.map((m) => sha256(join(again, m[1]!)))), sums);
  });

  test(
    "a debootstrap system goes from guestos to Ganeti and back",
    // restore stops at the dump's end marker, a few KiB before the end of a Ganeti-made dump: guestos
    // tolerates a pipe's worth of unread input, as Ganeti's pipe does (src/backup/dumpread.ts).
    SLOW,
    async (t) => {
      if (!requireDeps(t, [...DEPS, ...DEBOOTSTRAP_DEPS])) return;
      assert.ok(debootstrapReady);
      const c = cluster!;
      const node1 = c.nodeName;
      const { home, cli } = await node("debootstrap");
      const [inst, inGaneti, back] = ["gd.example.com", "gd.gnt.test", "gd2.example.com"];
      const os = "debootstrap+bookworm";
      ok(
        await cli(
          argv(
            `instance add -o ${os} -t file --disk 0:size=1024M -O filesystem=ext4 -H fake --no-nics ` +
              `--timeout 1500 ${inst}`,
          ),
        ),
        "instance add",
      );
      const [disk] = await diskFiles(join(home, "file-storage", inst), 1);
      const marker = randomBytes(16).toString("hex");
      await inImage(disk!, { rw: true }, (m) => writeFile(join(m, "root/guestos-marker"), marker));

      ok(await cli(["backup", "export", "--dir", c.hostPath(c.exportDir), inst]), "backup export");
      const imp = await c.runOk(
        argv(
          `gnt-backup import -n ${node1} --src-node ${node1} --src-dir ${c.exportDir}/${inst} ` +
            `-t file --no-name-check --no-ip-check ${inGaneti}`,
        ),
      );
      assert.doesNotMatch(imp, /WARNING/);
      const [ganetiDisk] = await diskFiles(c.hostPath(`${c.fileStorageDir}/${inGaneti}`), 1);
      await inImage(ganetiDisk!, {}, async (m) => {
        assert.equal(await readFile(join(m, "root/guestos-marker"), "utf8"), marker);
        // Ganeti ran the OS rename script after the import.
        assert.equal((await readFile(join(m, "etc/hostname"), "utf8")).trim(), inGaneti);
      });

      await c.runOk(["gnt-backup", "export", "-n", node1, inGaneti]);
      const res = await cli([
        "backup",
        "import",
        "--src",
        c.hostPath(`${c.exportDir}/${inGaneti}`),
        "--timeout",
        "600",
        back,
      ]);
      ok(res, "backup import");
      const [copy] = await diskFiles(join(home, "file-storage", back), 1);
      await inImage(copy!, {}, async (m) => {
        assert.equal(await readFile(join(m, "root/guestos-marker"), "utf8"), marker);
        assert.equal((await readFile(join(m, "etc/hostname"), "utf8")).trim(), back);
      });
    },
  );
});
