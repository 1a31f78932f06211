import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cp, mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import type { Dep } from "./deps.js";
import { onExitCleanup } from "./cluster-exit.js";
import { acquireLock, type HeldLock, type LockInfo } from "./cluster-lock.js";
import {
  alive,
  cmdline,
  pidsInNamespace,
  runIn,
  signalPid,
  startHolder,
  waitGone,
  type NsHolder,
  type NsIds,
  type RunOptions,
  type RunResult,
} from "./cluster-ns.js";

/**
 * A real single-node Ganeti 3.0 cluster for interop tests (spec/ganeti-as-test-oracle.md), in private
 * network, UTS and mount namespaces. Everything the cluster writes lives in one temporary directory that is
 * bind-mounted, inside the namespaces only, over the places Ganeti uses (/var/lib/ganeti, /var/log/ganeti,
 * /run, /etc/ganeti, /etc/hosts, /srv): the machine's own copies are never written, so stop() (or, if the
 * test process dies, the exit handlers or the next startCluster) restores the machine by ending the
 * processes in the namespaces and removing that directory.
 */

export type { RunOptions, RunResult } from "./cluster-ns.js";

/** How to set up the cluster. */
export interface ClusterOptions {
  /** Default `node1.gnt.test`. */
  nodeName?: string;
  /** Default `cluster.gnt.test`. */
  clusterName?: string;
  /** The node's address on the namespace's lo (a documentation address: Ganeti refuses 127/8). */
  nodeIp?: string;
  /** The cluster (master) address, which Ganeti adds to lo itself. */
  clusterIp?: string;
  /** Default `["file"]`; `sharedfile` also works. */
  enabledDiskTemplates?: string[];
  /** Extra arguments for gnt-cluster init (before the cluster name). */
  initArgs?: string[];
  /**
   * How stop() ends the cluster: "destroy" (default) removes the instances and runs gnt-cluster destroy
   * (about 11 s: Ganeti stops its daemons one by one) before ending what is left; "kill" only ends the
   * processes (under 1 s), which restores the machine just as well since all state is private.
   */
  teardown?: "destroy" | "kill";
  /** How long to wait while another test file's cluster runs. Default 20 min. */
  lockTimeoutMs?: number;
}

/** A running cluster. Paths are as the cluster sees them; `hostPath` maps them to this machine's view. */
export interface GanetiCluster {
  readonly nodeName: string;
  readonly clusterName: string;
  readonly nodeIp: string;
  /** `/var/lib/ganeti/export`. */
  readonly exportDir: string;
  /** `/srv/ganeti/file-storage`. */
  readonly fileStorageDir: string;
  /** `/srv/ganeti/os` (first on Ganeti's OS search path). */
  readonly osDir: string;
  /** The temporary directory holding all the cluster's state (on this machine's side). */
  readonly root: string;
  /** The namespaces (network and mount) that every process of the cluster runs in. */
  readonly ns: NsIds;
  /** Run a command inside the cluster's namespaces (gnt-*, or guestos itself, which then sees its paths). */
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** run(), throwing with the command's output unless it exits 0; returns stdout. */
  runOk(argv: string[], opts?: RunOptions): Promise<string>;
  /** Where a cluster path lives on this machine (outside the namespaces). Throws for a path not private to the cluster. */
  hostPath(clusterPath: string): string;
  /** Copy the OS definition in `dir` to `<osDir>/<name>`; returns that cluster path. Gone at stop. */
  installOs(name: string, dir: string): Promise<string>;
  /** What teardown had to do beyond the graceful path (killed daemons, failed commands). */
  readonly notes: readonly string[];
  /** Tear everything down; idempotent. Rejects only when the machine could not be restored. */
  stop(): Promise<void>;
}

/** The machine's cluster config: present means a real cluster (or a foreign test) owns this machine. */
export const HOST_CONFIG_DATA = "/var/lib/ganeti/config.data";
/** The lock that serialises test clusters across test processes. */
export const CLUSTER_LOCK = "/run/lock/guestos-ganeti-cluster.lock";
/** What startCluster needs on the machine (for requireDeps). */
export const CLUSTER_DEPS: Dep[] = [
  { path: "/usr/sbin/gnt-cluster", pkg: "ganeti" },
  { path: "/bin/ip", pkg: "iproute2" },
  { path: "/bin/mount", pkg: "mount" },
  { path: "/usr/bin/unshare", pkg: "util-linux" },
  { path: "/usr/bin/nsenter", pkg: "util-linux" },
  // Ganeti's import/export daemon moves every disk through socat, even on one node.
  { path: "/usr/bin/socat", pkg: "socat" },
];
const ROOT_PREFIX = "guestos-gnt-";

// Cluster path -> directory (or file) under the root that replaces it inside the namespaces. /run first:
// mount(8) may keep state under /run/mount, which then stays private too.
const PRIVATE = [
  ["/run", "run"],
  ["/etc/hosts", "hosts"],
  ["/etc/ganeti", "etc-ganeti"],
  ["/srv", "srv"],
  ["/var/lib/ganeti", "lib"],
  ["/var/log/ganeti", "log"],
] as const;

const GNT_TIMEOUT_MS = 180_000;
const IPOLICY =
  "min:disk-size=1,cpu-count=1,disk-count=1,memory-size=128,nic-count=0,spindle-use=1" +
  "/max:disk-size=1048576,cpu-count=8,disk-count=16,memory-size=32768,nic-count=8,spindle-use=12";

/** SIGKILL everything in `ns` and remove `root`: the last resort, synchronous for exit handlers. */
function killAndRemoveSync(ns: NsIds | undefined, root: string | undefined): void {
  if (ns?.marker !== undefined) for (const pid of pidsInNamespace(ns)) signalPid(pid, "SIGKILL");
  if (root !== undefined) rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}

/** Clean up after a test process that died holding the lock (its record says what it had running). */
async function cleanupStale(info: LockInfo): Promise<void> {
  const ns = info.ns as NsIds | undefined;
  const root = typeof info.root === "string" ? info.root : undefined;
  const ours =
    root !== undefined && posix.dirname(root) === tmpdir() && posix.basename(root).startsWith(ROOT_PREFIX);
  killAndRemoveSync(ns, ours ? root : undefined);
  if (ns?.marker !== undefined) await waitGone(pidsInNamespace(ns), 5000);
}

function preflight(): void {
  if (process.getuid?.() !== 0) throw new Error("Cannot start a Ganeti test cluster: it needs root");
  if (existsSync(HOST_CONFIG_DATA)) {
    throw new Error(
      `Cannot start a Ganeti test cluster: ${HOST_CONFIG_DATA} exists, so a Ganeti cluster is configured on ` +
        "this machine; refusing to run beside it (destroy it, or run the interop tests elsewhere)",
    );
  }
}

/** Lay out the private tree that the namespaces mount over the machine's Ganeti paths. */
function prepareRoot(
  root: string,
  opts: { nodeName: string; nodeIp: string; clusterName: string; clusterIp: string },
) {
  for (const d of [
    "run",
    "srv/ganeti/os",
    "srv/ganeti/file-storage",
    "srv/ganeti/shared-file-storage",
    "lib",
    "log",
  ]) {
    mkdirSync(join(root, d), { recursive: true, mode: 0o755 });
  }
  mkdirSync(join(root, "run/lock"), { mode: 0o1777 });
  // The package's /etc/ganeti (its lib/share links, debootstrap variants) with the storage paths added.
  if (existsSync("/etc/ganeti"))
    cpSync("/etc/ganeti", join(root, "etc-ganeti"), { recursive: true, verbatimSymlinks: true });
  else mkdirSync(join(root, "etc-ganeti"));
  writeFileSync(
    join(root, "etc-ganeti/file-storage-paths"),
    "/srv/ganeti/file-storage\n/srv/ganeti/shared-file-storage\n",
  );
  const short = (n: string) => n.split(".")[0]!;
  writeFileSync(
    join(root, "hosts"),
    `127.0.0.1 localhost\n${opts.nodeIp} ${opts.nodeName} ${short(opts.nodeName)}\n` +
      `${opts.clusterIp} ${opts.clusterName} ${short(opts.clusterName)}\n`,
  );
}

function describeFailure(argv: string[], r: RunResult): string {
  const how = r.code === null ? `signal ${r.signal ?? "?"}` : `exit code ${r.code}`;
  return `${argv.join(" ")} failed (${how}):\n${r.stdout}${r.stderr}`.trimEnd();
}

/** The pids in /run/ganeti/*.pid whose processes still run and mention ganeti in their argv. */
async function pidFileDaemons(runDir: string): Promise<number[]> {
  let names: string[];
  try {
    names = await readdir(runDir);
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const n of names.filter((x) => x.endsWith(".pid"))) {
    const pid = Number((await readFile(join(runDir, n), "utf8").catch(() => "")).trim());
    if (Number.isInteger(pid) && pid > 1 && alive(pid) && cmdline(pid).includes("ganeti")) pids.push(pid);
  }
  return pids;
}

/** Start a single-node cluster (fake hypervisor, file disks) in private namespaces. About 5-10 s. */
export async function startCluster(opts: ClusterOptions = {}): Promise<GanetiCluster> {
  preflight();
  const nodeName = opts.nodeName ?? "node1.gnt.test";
  const clusterName = opts.clusterName ?? "cluster.gnt.test";
  const nodeIp = opts.nodeIp ?? "192.0.2.10";
  const clusterIp = opts.clusterIp ?? "192.0.2.100";
  const templates = opts.enabledDiskTemplates ?? ["file"];
  const lock: HeldLock = await acquireLock(CLUSTER_LOCK, {
    timeoutMs: opts.lockTimeoutMs ?? 20 * 60_000,
    onStale: cleanupStale,
  });

  const notes: string[] = [];
  let root: string | undefined;
  let holder: NsHolder | undefined;
  // The holder's namespaces, marked once the private tree is mounted (see NsIds).
  let ns: NsIds | undefined;
  let initialised = false;
  let stopping: Promise<void> | undefined;
  let unregister: (() => void) | undefined;

  const emergency = () => {
    holder?.killSync();
    killAndRemoveSync(ns, root);
    lock.release();
  };

  const run = (argv: string[], o: RunOptions = {}): Promise<RunResult> => {
    if (holder === undefined || stopping !== undefined) {
      return Promise.reject(new Error(`${argv.join(" ")}: the cluster is not running`));
    }
    return runIn(holder.pid, argv, { timeoutMs: GNT_TIMEOUT_MS, ...o });
  };
  const runOk = async (argv: string[], o: RunOptions = {}): Promise<string> => {
    const r = await run(argv, o);
    if (r.code !== 0) throw new Error(describeFailure(argv, r));
    return r.stdout;
  };

  const hostPath = (clusterPath: string): string => {
    let p = posix.resolve("/", clusterPath);
    if (p === "/var/run" || p.startsWith("/var/run/")) p = p.slice("/var".length);
    if (p === "/var/lock" || p.startsWith("/var/lock/")) p = `/run${p.slice("/var".length)}`;
    for (const [target, sub] of PRIVATE) {
      if (p === target || p.startsWith(`${target}/`)) return join(root!, sub, p.slice(target.length));
    }
    throw new Error(`Cannot map "${clusterPath}": it is not private to the test cluster`);
  };

  const installOs = async (name: string, dir: string): Promise<string> => {
    if (name === "" || name === "." || name === ".." || name.includes("/")) {
      throw new Error(`Cannot install OS "${name}": not a directory name`);
    }
    const dest = join(root!, "srv/ganeti/os", name);
    await rm(dest, { recursive: true, force: true });
    await cp(dir, dest, { recursive: true, verbatimSymlinks: true });
    return posix.join("/srv/ganeti/os", name);
  };

  const gracefulDown = async () => {
    const daemons = await pidFileDaemons(join(root!, "run/ganeti"));
    const tryRun = async (argv: string[]) => {
      try {
        const r = await runIn(holder!.pid, argv, { timeoutMs: GNT_TIMEOUT_MS });
        if (r.code !== 0) notes.push(describeFailure(argv, r));
        return r;
      } catch (e) {
        notes.push(String(e));
        return undefined;
      }
    };
    const list = await tryRun(["gnt-instance", "list", "--no-headers", "-o", "name"]);
    for (const name of list?.code === 0 ? list.stdout.split("\n").filter((l) => l.trim() !== "") : []) {
      await tryRun(["gnt-instance", "remove", "-f", "--ignore-failures", name.trim()]);
    }
    // Exports need no gnt-backup remove: they live in the private tree, removed with it.
    await tryRun(["gnt-cluster", "destroy", "--yes-do-it"]);
    // metad (started on demand by noded) outlives "cluster destroy"; the others are gone or exiting.
    const metad = daemons.filter((pid) => cmdline(pid).includes("ganeti-metad"));
    metad.forEach((pid) => signalPid(pid, "SIGTERM"));
    const left = await waitGone(daemons, 10_000);
    for (const pid of left) {
      notes.push(`killed leftover daemon ${pid}: ${cmdline(pid)}`);
      signalPid(pid, "SIGKILL");
    }
    await waitGone(left, 5000);
  };

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const failures: string[] = [];
      if (holder !== undefined) {
        const destroy = initialised && (opts.teardown ?? "destroy") === "destroy";
        if (destroy) await gracefulDown();
        // Anything else still inside (the daemons when not destroying, a hung gnt-* command, socat, an OS
        // script): ours by construction, since only this process's children enter these namespaces.
        const rest = ns === undefined ? [] : pidsInNamespace(ns).filter((pid) => pid !== holder!.pid);
        for (const pid of rest) {
          if (destroy) notes.push(`killed leftover process ${pid}: ${cmdline(pid)}`);
          signalPid(pid, "SIGTERM");
        }
        const stubborn = await waitGone(rest, 5000);
        stubborn.forEach((pid) => signalPid(pid, "SIGKILL"));
        await waitGone(stubborn, 5000);
        await holder.stop();
        const still = ns === undefined ? [] : await waitGone(pidsInNamespace(ns), 5000);
        if (still.length > 0) failures.push(`processes still in the namespaces: ${still.join(" ")}`);
      }
      if (root !== undefined) {
        try {
          await rm(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
        } catch (e) {
          failures.push(`cannot remove ${root}: ${String(e)}`);
        }
      }
      if (failures.length === 0) {
        unregister?.();
        lock.release();
      } else {
        // Leave the emergency handler (and the lock, for the next startCluster's stale cleanup) in place.
        throw new Error(`Cannot restore the machine after the Ganeti test cluster: ${failures.join("; ")}`);
      }
    })();
    return stopping;
  };

  const cluster: GanetiCluster = {
    nodeName,
    clusterName,
    nodeIp,
    exportDir: "/var/lib/ganeti/export",
    fileStorageDir: "/srv/ganeti/file-storage",
    osDir: "/srv/ganeti/os",
    get root() {
      return root!;
    },
    get ns() {
      return ns!;
    },
    run,
    runOk,
    hostPath,
    installOs,
    notes,
    stop,
  };

  try {
    preflight();
    root = await mkdtemp(join(tmpdir(), ROOT_PREFIX));
    lock.update({ root });
    unregister = onExitCleanup(emergency);
    prepareRoot(root, { nodeName, nodeIp, clusterName, clusterIp });
    holder = await startHolder(join(root, "holder.log"));
    const setup = (argv: string[]) => runOk(argv, { timeoutMs: 30_000 });
    for (const [target, sub] of PRIVATE) await setup(["mount", "-n", "--bind", join(root, sub), target]);
    ns = { ...holder.ns, marker: posix.basename(root) };
    lock.update({ root, holder: holder.pid, ns });
    await setup(["hostname", nodeName]);
    await setup(["ip", "link", "set", "lo", "up"]);
    await setup(["ip", "addr", "add", `${nodeIp}/32`, "dev", "lo"]);

    const init = [
      "gnt-cluster",
      "init",
      "--enabled-hypervisors=fake",
      "--no-ssh-init",
      "--no-etc-hosts",
      "--master-netdev=lo",
      "--master-netmask=32",
      `--enabled-disk-templates=${templates.join(",")}`,
      "--file-storage-dir=/srv/ganeti/file-storage",
      ...(templates.includes("sharedfile")
        ? ["--shared-file-storage-dir=/srv/ganeti/shared-file-storage"]
        : []),
      // A routed NIC needs no bridge on the node (bridged would need one to exist).
      "--nic-parameters=mode=routed,link=100",
      // The default ipolicy wants disks of 1 GiB or more, and rename has no --ignore-ipolicy.
      `--ipolicy-bounds-specs=${IPOLICY}`,
      ...(opts.initArgs ?? []),
      clusterName,
    ];
    initialised = true; // from here on, a failure may have left daemons that destroy should stop
    await runOk(init);
    return cluster;
  } catch (e) {
    await stop().catch((err: unknown) => notes.push(String(err)));
    throw e;
  }
}
