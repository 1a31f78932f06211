/**
 * The test-cluster harness itself: a real single-node Ganeti 3.0 cluster comes up, exports an instance with
 * gnt-backup and imports it again (checked on the bytes of the disks and the dump), and stop() leaves the
 * machine as it found it; so do the exit handlers of a test process that dies, and the next startCluster
 * after one that was killed outright.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { once } from "node:events";
import { join } from "node:path";
import { CLUSTER_DEPS, CLUSTER_LOCK, HOST_CONFIG_DATA, startCluster, type GanetiCluster } from "./cluster.js";
import { alive, pidsInNamespace, type NsIds } from "./cluster-ns.js";
import { requireDeps } from "./deps.js";

const MiB = 1024 * 1024;
/** A command line without quoting (none of its words has a space) as argv. */
const argv = (line: string): string[] => line.split(" ");
const NOOP_DEP = { path: "/usr/share/ganeti/os/noop/export", pkg: "ganeti-os-noop" };

/** What the cluster could touch on this machine, as it is now. */
function machineState() {
  const list = (dir: string): string[] | null =>
    existsSync(dir) ? readdirSync(dir, { recursive: true, encoding: "utf8" }).sort() : null;
  const read = (file: string): string | null => (existsSync(file) ? readFileSync(file, "utf8") : null);
  return {
    configData: existsSync(HOST_CONFIG_DATA),
    varLibGaneti: list("/var/lib/ganeti"),
    varLogGaneti: list("/var/log/ganeti"),
    runGaneti: list("/run/ganeti"),
    srvGaneti: list("/srv/ganeti"),
    etcGaneti: list("/etc/ganeti"),
    fileStoragePaths: read("/etc/ganeti/file-storage-paths"),
    etcHosts: read("/etc/hosts"),
    hostname: hostname(),
    loAddresses: execFileSync("ip", ["-o", "addr", "show", "dev", "lo"], { encoding: "utf8" })
      .split("\n")
      .map((l) => l.replace(/\s+valid_lft.*$/, ""))
      .sort(),
  };
}

/** The machine is as `before`, and nothing of the cluster (root, processes, mounts, lock) is left. */
function assertRestored(before: ReturnType<typeof machineState>, cluster: { root: string; ns: NsIds }): void {
  assert.deepEqual(machineState(), before);
  assert.ok(!existsSync(cluster.root), `${cluster.root} is left`);
  assert.deepEqual(pidsInNamespace(cluster.ns), [], "processes still in the cluster's namespaces");
  const mounts = readFileSync("/proc/self/mountinfo", "utf8");
  assert.ok(!mounts.includes(cluster.root), "a mount of the cluster's root is left");
  // Another test file's cluster may hold the lock by now; this process's must not.
  assert.notEqual(lockOwner(), process.pid, "the lock is left");
}

/** The pid recorded in the cluster lock, if there is one. */
function lockOwner(): number | undefined {
  try {
    return (JSON.parse(readFileSync(CLUSTER_LOCK, "utf8")) as { pid?: number }).pid;
  } catch {
    return undefined; // being written or removed
  }
}

// A test process that starts a cluster, reports it on stdout, then dies as GUESTOS_CHILD_MODE says.
const CHILD = `
const { startCluster } = await import(${JSON.stringify(new URL("./cluster.ts", import.meta.url).href)});
const c = await startCluster({ teardown: "kill" });
process.stdout.write(JSON.stringify({ root: c.root, ns: c.ns }) + "\\n");
if (process.env.GUESTOS_CHILD_MODE === "throw") throw new Error("the test failed");
setInterval(() => undefined, 1000);
`;

/** Start CHILD; resolves once its cluster runs, with the cluster and the child. */
async function childCluster(mode: "throw" | "wait") {
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", CHILD], {
    env: { ...process.env, GUESTOS_CHILD_MODE: mode },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = once(child, "close") as Promise<[number | null, NodeJS.Signals | null]>;
  let out = "";
  let err = "";
  child.stderr.on("data", (b: Buffer) => (err += b.toString()));
  for await (const b of child.stdout as AsyncIterable<Buffer>) {
    out += b.toString();
    if (out.includes("\n")) break;
  }
  if (!out.includes("\n")) {
    await exited;
    assert.fail(`the child's cluster did not start: ${err}`);
  }
  return { cluster: JSON.parse(out) as { root: string; ns: NsIds }, child, exited, stderr: () => err };
}

/** An API 20 OS whose export and import copy the disk's bytes (installed with installOs). */
async function writeCatOs(dir: string): Promise<void> {
  await mkdir(dir);
  const scripts: Record<string, string> = {
    create: "#!/bin/sh\nexit 0\n",
    rename: "#!/bin/sh\nexit 0\n",
    export: '#!/bin/sh\nexec cat "$EXPORT_DEVICE"\n',
    import: '#!/bin/sh\nexec cat > "$IMPORT_DEVICE"\n',
    verify: "#!/bin/sh\nexit 0\n",
  };
  for (const [name, body] of Object.entries(scripts)) {
    await writeFile(join(dir, name), body);
    await chmod(join(dir, name), 0o755);
  }
  await writeFile(join(dir, "ganeti_api_version"), "20\n");
  // API 15 and later require a parameters.list (and verify); an empty one declares no parameters.
  await writeFile(join(dir, "parameters.list"), "");
}

/** The one disk file of a file-template instance, checked against what gnt-instance info reports. */
async function diskFile(cluster: GanetiCluster, instance: string): Promise<string> {
  const dir = `${cluster.fileStorageDir}/${instance}`;
  const files = await readdir(cluster.hostPath(dir));
  assert.equal(files.length, 1, `disk files of ${instance}: ${files.join(", ")}`);
  const path = `${dir}/${files[0]}`;
  const info = await cluster.runOk(["gnt-instance", "info", instance]);
  assert.ok(info.includes(path), `gnt-instance info ${instance} does not name ${path}:\n${info}`);
  return cluster.hostPath(path);
}

async function timed<T>(t: { diagnostic(m: string): void }, what: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const r = await f();
  t.diagnostic(`${what}: ${Math.round(performance.now() - t0)} ms`);
  return r;
}

test(
  "a test cluster exports with gnt-backup, imports it back, and leaves the machine as it was",
  { timeout: 900_000 },
  async (t) => {
    if (!requireDeps(t, [...CLUSTER_DEPS, NOOP_DEP])) return;
    const before = machineState();
    const work = await mkdtemp(join(tmpdir(), "guestos-cluster-test-"));
    t.after(() => rm(work, { recursive: true, force: true }));

    const cluster = await timed(t, "startCluster", () => startCluster());
    const { root, ns } = cluster;
    let daemons: number[] = [];
    try {
      const node = cluster.nodeName;

      const info = await cluster.runOk(["gnt-cluster", "info"]);
      assert.match(info, /^Cluster name: cluster\.gnt\.test$/m);
      assert.match(info, new RegExp(`^Master node: ${node.replaceAll(".", "\\.")}$`, "m"));
      assert.equal((await cluster.runOk(["hostname"])).trim(), node);
      // Inside, the cluster's private files replace the machine's; hostPath finds them from outside.
      const storagePaths = await cluster.runOk(["cat", "/etc/ganeti/file-storage-paths"]);
      assert.equal(storagePaths.split("\n")[0], cluster.fileStorageDir);
      assert.equal(readFileSync(cluster.hostPath("/etc/ganeti/file-storage-paths"), "utf8"), storagePaths);

      await writeCatOs(join(work, "catos"));
      assert.equal(await cluster.installOs("catos", join(work, "catos")), "/srv/ganeti/os/catos");
      const oses = (await cluster.runOk(["gnt-os", "list", "--no-headers"])).split("\n").map((l) => l.trim());
      assert.ok(oses.includes("catos") && oses.includes("noop"), `gnt-os list: ${oses.join(", ")}`);

      await timed(t, "gnt-instance add", () =>
        cluster.runOk(
          argv(
            `gnt-instance add -o noop -t file --disk 0:size=16M --no-nics --no-start --no-name-check --no-ip-check -n ${node} inst1.gnt.test`,
          ),
        ),
      );
      const disk1 = await diskFile(cluster, "inst1.gnt.test");
      const bytes = randomBytes(16 * MiB);
      await writeFile(disk1, bytes);

      await timed(t, "gnt-backup export", () =>
        cluster.runOk(["gnt-backup", "export", "-n", node, "inst1.gnt.test"]),
      );
      const exported = `${cluster.exportDir}/inst1.gnt.test`;
      const files = (await readdir(cluster.hostPath(exported))).sort();
      assert.equal(files.length, 2, `export files: ${files.join(", ")}`);
      assert.ok(files.includes("config.ini"), `export files: ${files.join(", ")}`);
      const dump = files.find((f) => f !== "config.ini")!;
      assert.ok(
        (await readFile(join(cluster.hostPath(exported), dump))).equals(bytes),
        `dump ${dump} differs`,
      );
      const ini = await readFile(join(cluster.hostPath(exported), "config.ini"), "utf8");
      assert.match(ini, /^os = noop$/m);
      assert.match(ini, new RegExp(`^disk0_dump = ${dump}$`, "m"));

      await timed(t, "gnt-backup import", () =>
        cluster.runOk(
          argv(
            `gnt-backup import -n ${node} --src-node ${node} --src-dir ${exported} -t file --no-name-check --no-ip-check inst2.gnt.test`,
          ),
        ),
      );
      const disk2 = await diskFile(cluster, "inst2.gnt.test");
      assert.ok((await readFile(disk2)).equals(bytes), "inst2's disk differs from inst1's");

      for (const f of readdirSync(cluster.hostPath("/run/ganeti")).filter((n) => n.endsWith(".pid"))) {
        daemons.push(Number(readFileSync(cluster.hostPath(`/run/ganeti/${f}`), "utf8").trim()));
      }
      daemons = daemons.filter((p) => Number.isInteger(p) && p > 1);
      assert.ok(daemons.length >= 5, `daemon pids: ${daemons.join(" ")}`);
    } finally {
      await timed(t, "stop", () => cluster.stop());
    }
    for (const n of cluster.notes) t.diagnostic(`teardown: ${n}`);
    await cluster.stop(); // idempotent

    assertRestored(before, { root, ns });
    assert.deepEqual(daemons.filter(alive), [], "Ganeti daemons still run");
  },
);

test(
  "a test process that dies with an uncaught error leaves no cluster behind",
  { timeout: 300_000 },
  async (t) => {
    if (!requireDeps(t, CLUSTER_DEPS)) return;
    const before = machineState();
    const { cluster, exited, stderr } = await childCluster("throw");
    const [code] = await exited;
    assert.equal(code, 1, stderr());
    assert.match(stderr(), /the test failed/);
    assertRestored(before, cluster);
  },
);

test("a test process stopped by SIGTERM leaves no cluster behind", { timeout: 300_000 }, async (t) => {
  if (!requireDeps(t, CLUSTER_DEPS)) return;
  const before = machineState();
  const { cluster, child, exited } = await childCluster("wait");
  child.kill("SIGTERM");
  assert.deepEqual((await exited)[1], "SIGTERM");
  assertRestored(before, cluster);
});

test(
  "the next startCluster cleans up after a test process killed with SIGKILL",
  { timeout: 300_000 },
  async (t) => {
    if (!requireDeps(t, CLUSTER_DEPS)) return;
    const before = machineState();
    const { cluster: dead, child, exited } = await childCluster("wait");
    child.kill("SIGKILL");
    await exited;
    // Nothing ran the handlers: the daemons and the root are still there, and so is the dead owner's lock
    // (unless another test file's startCluster, waiting for the lock, has cleaned up already).
    if (lockOwner() === child.pid) {
      assert.ok(pidsInNamespace(dead.ns).length > 0);
      assert.ok(existsSync(dead.root));
    }

    const next = await startCluster({ teardown: "kill" });
    try {
      assert.deepEqual(pidsInNamespace(dead.ns), []);
      assert.ok(!existsSync(dead.root), `${dead.root} is left`);
      assert.equal((await next.runOk(["gnt-cluster", "getmaster"])).trim(), next.nodeName);
    } finally {
      await next.stop();
    }
    assertRestored(before, next);
    assert.deepEqual(next.notes, []);
  },
);
