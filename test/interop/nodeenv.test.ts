import { after, before, describe, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdir, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import Database from "better-sqlite3";
import { attachLoop, detachLoop } from "../../src/disks/loop.js";
import { readConfig } from "../../src/node/config.js";
import type { InstanceView, JobRecord } from "../../src/node/types.js";
import { guestos, type CliResult } from "./cli.js";
import { comparableEnv, makeTempDir, removeTempDir } from "./compare.js";
import {
  askOracle,
  requireGaneti,
  simpleFillOs,
  viewToOracleInstance,
  type OracleError,
  type OracleInstance,
  type OracleScriptCall,
} from "./ganeti.js";

// The node manager end to end: `guestos instance add|reinstall|rename` run real OS scripts that record
// their argv, cwd and environment; each recording must equal what Ganeti 3.0 would give the same script
// for the same instance. The Ganeti instance is built from `instance info --json` (own params only: Ganeti
// fills them itself from the node config, fill_cluster_defaults) plus the private and secret values this
// test passed on the command line. create/reinstall/rename: the oracle's env request (Ganeti's
// InstanceOsAdd / RunRenameInstance, RunCmd recorded). verify: the oracle's validate request, which runs
// our recording verify script for real through Ganeti's ValidateOS, with the dict the master's LU
// validates (SimpleFillOS of public, private and secret params). Key order is compared too.

/** One recorded script run. */
interface Rec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

let tmp: string | undefined;
let home: string;
let search: string;
let records: string;
let childEnv: NodeJS.ProcessEnv;

const NODE_PRIVATE = "pr1vate-node-default-Hq8w";
const nodePrivateDefaults: Record<string, Record<string, string>> = {};

/** Every private and secret value given to guestos, for the leak checks at the end. */
const privateValues = new Set<string>([NODE_PRIVATE]);
const secretValues = new Set<string>();

/** The private params each instance has stored (what the test gave; a view shows only their names). */
const storedPrivate = new Map<string, Record<string, string>>();

/** A Node script (a shell would add PWD) appending argv, cwd and env to `<records>/<script name>.jsonl`. */
function recorder(dir: string): string {
  return `#!${process.execPath}
"use strict";
const fs = require("fs");
const kind = require("path").basename(process.argv[1]);
fs.appendFileSync(${JSON.stringify(dir)} + "/" + kind + ".jsonl",
  JSON.stringify({ argv: process.argv.slice(1), cwd: process.cwd(), env: process.env }) + "\\n");
`;
}

async function writeOs(name: string, files: Record<string, string>): Promise<void> {
  const d = join(search, name);
  await mkdir(d, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    await writeFile(join(d, f), text);
    await chmod(join(d, f), f.includes(".") || f === "ganeti_api_version" ? 0o644 : 0o755);
  }
}

/** The recordings made since the last call, by script name; the files are removed. */
async function takeRecords(): Promise<Record<string, Rec[]>> {
  const out: Record<string, Rec[]> = {};
  for (const f of (await readdir(records)).sort()) {
    const text = await readFile(join(records, f), "utf8");
    await rm(join(records, f));
    out[f.replace(/\.jsonl$/, "")] = text
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Rec);
  }
  return out;
}

const counts = (recs: Record<string, Rec[]>): Record<string, number> =>
  Object.fromEntries(Object.entries(recs).map(([k, v]) => [k, v.length]));

async function cli(args: string[]): Promise<CliResult> {
  return guestos(args, { env: childEnv });
}

/** Run guestos, which must succeed; its stdout. */
async function ok(args: string[]): Promise<string> {
  const r = await cli(args);
  assert.equal(r.code, 0, `guestos ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

async function viewOf(name: string): Promise<InstanceView> {
  const views = JSON.parse(await ok(["instance", "info", name, "--json"])) as InstanceView[];
  assert.equal(views.length, 1);
  return views[0]!;
}

function isError(x: unknown): x is OracleError {
  return typeof x === "object" && x !== null && "error" in x;
}

/** Compare our env with Ganeti's: first as a map (readable diff), then the key order (as env.test.ts). */
function assertSameEnv(ours: Record<string, string>, ganeti: Record<string, string>): void {
  const mine = comparableEnv(ours);
  const theirs = comparableEnv(ganeti);
  assert.deepEqual(mine, theirs);
  assert.deepEqual(Object.keys(mine), Object.keys(theirs), "same variables, different order");
}

/** The recorded run against Ganeti's: argv, cwd and env. */
function assertSameRun(
  ours: Rec,
  ganeti: { argv: string[]; cwd: string; env: Record<string, string> },
): void {
  assertSameEnv(ours.env, ganeti.env);
  assert.deepEqual(ours.argv, ganeti.argv);
  assert.equal(ours.cwd, ganeti.cwd);
}

/** What Ganeti's InstanceOsAdd / RunRenameInstance would run for this instance. */
async function ganetiCall(
  inst: OracleInstance,
  op: "create" | "reinstall" | "rename",
): Promise<OracleScriptCall> {
  const [answer] = await askOracle([{ kind: "env", instance: { ...inst, operations: [op] } }]);
  const call = answer.operations[op];
  assert.ok(call !== undefined && !isError(call), `Ganeti failed: ${JSON.stringify(call)}`);
  return call;
}

/** Ganeti's ValidateOS run for real on our recording verify script; what the script recorded. */
async function ganetiVerify(os: string, osparams: Record<string, string>): Promise<Rec> {
  assert.deepEqual(counts(await takeRecords()), {}, "stray recordings before Ganeti's verify");
  const [answer] = await askOracle([{ kind: "validate", name: os, search_path: [search], osparams }]);
  assert.ok(answer.ok, `Ganeti's ValidateOS failed: ${JSON.stringify(answer)}`);
  const recs = await takeRecords();
  assert.deepEqual(counts(recs), { verify: 1 });
  return recs.verify![0]!;
}

/** The dict Ganeti's LU validates (and, on reinstall, sends as the override): SimpleFillOS of all three. */
function fullOsparams(
  view: InstanceView,
  priv: Record<string, string>,
  secret: Record<string, string>,
): Record<string, string> {
  return simpleFillOs(view.os, view.osparams, {
    osparams: readConfig(home).osparams,
    privateDefaults: nodePrivateDefaults,
    privateParams: priv,
    secretParams: secret,
  });
}

function oracleInstance(
  view: InstanceView,
  opts: { override?: Record<string, string>; debugLevel?: number; oldName?: string } = {},
): OracleInstance {
  return viewToOracleInstance(view, {
    config: readConfig(home),
    searchPath: [search],
    privateParams: storedPrivate.get(view.uuid) ?? {},
    ...(opts.override ? { osparamsOverride: opts.override } : {}),
    debugLevel: opts.debugLevel ?? 0,
    ...(opts.oldName !== undefined ? { oldName: opts.oldName } : {}),
  });
}

/** Compare a recorded verify run with Ganeti's for the dict the LU validates. */
async function checkVerify(
  rec: Rec,
  view: InstanceView,
  priv: Record<string, string>,
  secret: Record<string, string>,
) {
  assertSameRun(rec, await ganetiVerify(view.os, fullOsparams(view, priv, secret)));
}

/** A file large enough to adopt through a loop device; null when this machine cannot attach one. */
async function loopDevice(t: TestContext, devices: string[]): Promise<string | null> {
  const image = join(tmp!, "adopt.img");
  await writeFile(image, "");
  await truncate(image, 40 * 2 ** 20);
  try {
    const dev = await attachLoop(image);
    devices.push(dev);
    return dev;
  } catch (err) {
    t.skip(`cannot attach a loop device here (needs root): ${(err as Error).message}`);
    return null;
  }
}

before(async () => {
  tmp = await makeTempDir("nodeenv");
  home = join(tmp, "home");
  search = join(tmp, "os");
  records = join(tmp, "records");
  await mkdir(records, { recursive: true });
  await mkdir(home, { recursive: true });
  const rec = recorder(records);
  const scripts = { create: rec, rename: rec, import: rec, export: rec };
  await writeOs("envdump", {
    ...scripts,
    verify: rec,
    ganeti_api_version: "20\n",
    "variants.list": "default\nalt\n",
    "parameters.list": [
      "pub-one A public parameter",
      "pub_two",
      "pub-three Added at reinstall",
      "pub-base The node's default for every variant",
      "pub-var The node's default for +alt",
      "priv-key A private one",
      "priv-two",
      "secret-key A secret one",
      "node-priv The node's private default for +alt",
      "",
    ].join("\n"),
  });
  await writeOs("envdump15", {
    ...scripts,
    ganeti_api_version: "15\n",
    "variants.list": "default\nminimal\n",
  });
  await writeOs("envdump10", { ...scripts, ganeti_api_version: "10\n" });
  // The node's own defaults over Ganeti's, for every layer the master fills: hv, os_hvp, be, nic, os.
  await writeFile(
    join(home, "config.json"),
    JSON.stringify({
      searchPath: [search],
      hvparams: {
        kvm: { kernel_path: "/boot/vmlinuz-guestos", serial_speed: 115200, vnc_bind_address: "0.0.0.0" },
      },
      osHvp: { "envdump+alt": { kvm: { boot_order: "cdrom", nic_type: "e1000" } } },
      beparams: { minmem: 256, auto_balance: false },
      nicparams: { link: "br-node" },
      osparams: { envdump: { "pub-base": "node base" }, "envdump+alt": { "pub-var": "node variant" } },
    }),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, GUESTOS_HOME: home };
  delete env.GUESTOS_OS_SEARCH_PATH;
  childEnv = env;
});
after(() => removeTempDir(tmp));

describe("node ops: every script's environment is Ganeti's", { concurrency: false }, () => {
  const INST = "inst1.example.com";
  const RENAMED = "inst1-renamed.example.com";
  const ADD_PRIVATE = { "priv-key": "pr1vate-add-Zk3v", "priv-two": "pr1vate-two-Mn5b" };
  const ADD_SECRET = { "secret-key": "s3cret-add-Qp7x" };
  const REINSTALL_PRIVATE = { "priv-key": "pr1vate-reinstall-Rt2c" };
  const REINSTALL_SECRET = { "secret-key": "s3cret-reinstall-Wy4n" };
  for (const v of [...Object.values(ADD_PRIVATE), ...Object.values(REINSTALL_PRIVATE)]) privateValues.add(v);
  for (const v of [...Object.values(ADD_SECRET), ...Object.values(REINSTALL_SECRET)]) secretValues.add(v);
  let uuid = "";

  test("os modify: a node-level private default for envdump+alt", async (t) => {
    if (!requireGaneti(t)) return;
    await ok(["os", "modify", "envdump+alt", "--os-parameters-private", `node-priv=${NODE_PRIVATE}`]);
    nodePrivateDefaults["envdump+alt"] = { "node-priv": NODE_PRIVATE };
    await takeRecords();
  });

  test("instance add: file disks, NICs, -O, private, secret, -H, -B, -d", async (t) => {
    if (!requireGaneti(t)) return;
    // prettier-ignore
    await ok([
      "instance", "add", "-o", "envdump+alt", "-t", "file",
      "--disk", "0:size=64M,name=root", "--disk", "1:size=20,mode=ro", "--disk", "2:size=8M,name=swap",
      "--net", "0:mac=aa:00:00:11:22:33,ip=192.0.2.10,mode=routed,link=rt0,name=eth0",
      "--net", "1:mac=aa:00:00:11:22:34,name=eth1",
      "--net", "2:mac=aa:00:00:11:22:35,ip=198.51.100.7,mode=openvswitch,link=ovs0",
      "--net", "3:mac=aa:00:00:11:22:36,mode=bridged,link=br1",
      "-O", "pub-one=hello world=1,pub_two=two",
      "--os-parameters-private", Object.entries(ADD_PRIVATE).map(([k, v]) => `${k}=${v}`).join(","),
      "--os-parameters-secret", Object.entries(ADD_SECRET).map(([k, v]) => `${k}=${v}`).join(","),
      "-H", "kvm:kernel_args=ro console=ttyS0 quiet,acpi=false",
      "-B", "maxmem=512,vcpus=2",
      "-d", INST,
    ]);
    const recs = await takeRecords();
    assert.deepEqual(counts(recs), { create: 1, verify: 1 });
    const view = await viewOf(INST);
    uuid = view.uuid;
    storedPrivate.set(uuid, { ...ADD_PRIVATE });
    // Ganeti types -H and -B (ForceDictType) before storing them.
    assert.deepEqual(view.hvparams, { kernel_args: "ro console=ttyS0 quiet", acpi: false });
    assert.deepEqual(view.beparams, { maxmem: 512, vcpus: 2 });
    assert.deepEqual(view.osparamsPrivateKeys.sort(), Object.keys(ADD_PRIVATE).sort());

    await t.test("verify: the core env with every param, DEBUG_LEVEL 0", async () => {
      await checkVerify(recs.verify![0]!, view, ADD_PRIVATE, ADD_SECRET);
      assert.equal(recs.verify![0]!.env.DEBUG_LEVEL, "0");
    });
    await t.test("create", async () => {
      const g = await ganetiCall(oracleInstance(view, { override: ADD_SECRET, debugLevel: 1 }), "create");
      assertSameRun(recs.create![0]!, g);
      assert.equal(recs.create![0]!.env.INSTANCE_PRIMARY_NODE, view.primaryNodeUuid);
    });
  });

  test("instance reinstall -f with -O changes, a new private value and a secret", async (t) => {
    if (!requireGaneti(t)) return;
    // prettier-ignore
    await ok([
      "instance", "reinstall", "-f", INST,
      "-O", "pub_two=changed,pub-three=added",
      "--os-parameters-private", `priv-key=${REINSTALL_PRIVATE["priv-key"]}`,
      "--os-parameters-secret", `secret-key=${REINSTALL_SECRET["secret-key"]}`,
      "-d", "-d",
    ]);
    const recs = await takeRecords();
    assert.deepEqual(counts(recs), { create: 1, verify: 1 });
    const view = await viewOf(INST);
    const priv = { ...ADD_PRIVATE, ...REINSTALL_PRIVATE };
    storedPrivate.set(uuid, priv);
    assert.deepEqual(view.osparams, { "pub-one": "hello world=1", pub_two: "changed", "pub-three": "added" });

    await t.test("verify", async () => {
      await checkVerify(recs.verify![0]!, view, priv, REINSTALL_SECRET);
    });
    await t.test("create with INSTANCE_REINSTALL=1", async () => {
      // LUInstanceReinstall sends its whole SimpleFillOS result as the RPC's override.
      const override = fullOsparams(view, priv, REINSTALL_SECRET);
      const g = await ganetiCall(oracleInstance(view, { override, debugLevel: 2 }), "reinstall");
      assertSameRun(recs.create![0]!, g);
      assert.equal(recs.create![0]!.env.INSTANCE_REINSTALL, "1");
    });
  });

  test("instance rename: new name, moved file disks, no secrets", async (t) => {
    if (!requireGaneti(t)) return;
    await ok(["instance", "rename", INST, RENAMED, "-d"]);
    const recs = await takeRecords();
    assert.deepEqual(counts(recs), { rename: 1 });
    const view = await viewOf(RENAMED);
    assert.equal(view.uuid, uuid);
    const g = await ganetiCall(oracleInstance(view, { debugLevel: 1, oldName: INST }), "rename");
    assertSameRun(recs.rename![0]!, g);
    assert.equal(recs.rename![0]!.env.OLD_INSTANCE_NAME, INST);
  });

  test("a diskless instance: verify at add (no create), then rename", async (t) => {
    if (!requireGaneti(t)) return;
    const name = "diskless.example.com";
    // prettier-ignore
    await ok([
      "instance", "add", "-o", "envdump+default", "-t", "diskless",
      "--net", "0:mac=aa:00:00:22:00:01,ip=203.0.113.5", "-O", "pub-one=dl", name,
    ]);
    const atAdd = await takeRecords();
    assert.deepEqual(counts(atAdd), { verify: 1 });
    const view = await viewOf(name);
    assert.equal(view.disks.length, 0);
    await checkVerify(atAdd.verify![0]!, view, {}, {});

    await ok(["instance", "rename", name, "diskless2.example.com"]);
    const atRename = await takeRecords();
    assert.deepEqual(counts(atRename), { rename: 1 });
    const renamed = await viewOf("diskless2.example.com");
    assertSameRun(
      atRename.rename![0]!,
      await ganetiCall(oracleInstance(renamed, { oldName: name }), "rename"),
    );
  });

  test("an adopted loop device (blockdev): verify at add, reinstall, rename", async (t) => {
    if (!requireGaneti(t)) return;
    const devices: string[] = [];
    const dev = await loopDevice(t, devices);
    if (dev === null) return;
    try {
      const name = "adopted.example.com";
      // prettier-ignore
      await ok([
        "instance", "add", "-o", "envdump+default", "-t", "blockdev", "--disk", `0:adopt=${dev},name=data`,
        "--net", "0:mac=aa:00:00:33:00:01,mode=bridged", name,
      ]);
      const atAdd = await takeRecords();
      assert.deepEqual(counts(atAdd), { verify: 1 }, "adopted disks: no create script, as in Ganeti");
      let view = await viewOf(name);
      assert.equal(view.disks[0]!.path, dev);
      assert.equal(view.disks[0]!.size, 40);
      await checkVerify(atAdd.verify![0]!, view, {}, {});

      await ok(["instance", "reinstall", "-f", name]);
      const atReinstall = await takeRecords();
      // Ganeti 3.0's LUInstanceReinstall always validates the OS params (_MergeValidateOsParams).
      assert.deepEqual(counts(atReinstall), { create: 1, verify: 1 });
      view = await viewOf(name);
      await checkVerify(atReinstall.verify![0]!, view, {}, {});
      const override = fullOsparams(view, {}, {});
      assertSameRun(
        atReinstall.create![0]!,
        await ganetiCall(oracleInstance(view, { override }), "reinstall"),
      );

      await ok(["instance", "rename", name, "adopted2.example.com"]);
      const atRename = await takeRecords();
      assert.deepEqual(counts(atRename), { rename: 1 });
      view = await viewOf("adopted2.example.com");
      assertSameRun(
        atRename.rename![0]!,
        await ganetiCall(oracleInstance(view, { oldName: name }), "rename"),
      );
      await ok(["instance", "remove", "-f", "adopted2.example.com"]);
    } finally {
      for (const d of devices) await detachLoop(d);
    }
  });

  for (const c of [
    { os: "envdump15+minimal", name: "api15.example.com", extra: ["-O", "anything=goes"], debug: 0 },
    { os: "envdump10", name: "api10.example.com", extra: ["--no-nics", "-d", "-d"], debug: 2 },
  ]) {
    test(`${c.os}: create and rename (no verify below API 20)`, async (t) => {
      if (!requireGaneti(t)) return;
      await ok(["instance", "add", "-o", c.os, "-s", "16M", ...c.extra, c.name]);
      const atAdd = await takeRecords();
      assert.deepEqual(counts(atAdd), { create: 1 });
      const view = await viewOf(c.name);
      const g = await ganetiCall(oracleInstance(view, { override: {}, debugLevel: c.debug }), "create");
      assertSameRun(atAdd.create![0]!, g);

      const renamed = `r-${c.name}`;
      await ok(["instance", "rename", c.name, renamed]);
      const atRename = await takeRecords();
      assert.deepEqual(counts(atRename), { rename: 1 });
      const after = await viewOf(renamed);
      assertSameRun(
        atRename.rename![0]!,
        await ganetiCall(oracleInstance(after, { oldName: c.name }), "rename"),
      );
    });
  }

  test("private and secret values never show and secrets are never stored", async (t) => {
    if (!requireGaneti(t)) return;
    const jobs = JSON.parse(await ok(["job", "list", "--json"])) as JobRecord[];
    assert.ok(jobs.length >= 10, `only ${jobs.length} jobs`);
    const ids = jobs.map((j) => String(j.id));
    const outputs: [string, string][] = [];
    for (const args of [
      ["instance", "list"],
      ["instance", "list", "--json"],
      ["instance", "list", "-o", "name,osparams,custom_osparams", "--separator", "|"],
      ["instance", "info", "--all"],
      ["instance", "info", "--all", "--json"],
      ["job", "list"],
      ["job", "list", "--json"],
      ["job", "info", ...ids],
      ["job", "info", ...ids, "--json"],
    ]) {
      const r = await cli(args);
      assert.equal(r.code, 0, `guestos ${args.join(" ")}: ${r.stderr}`);
      outputs.push([args.join(" "), r.stdout + r.stderr]);
    }
    // The listings do show the public values, so their absence of private ones means something.
    const listed = outputs.find(([what]) => what.includes("custom_osparams"))![1];
    assert.match(listed, /'pub_two': 'changed'/);
    assert.match(listed, /'pub-base': 'node base'/);
    for (const [what, text] of outputs) {
      for (const v of [...privateValues, ...secretValues])
        assert.ok(!text.includes(v), `${what} shows "${v}"`);
    }

    // The raw bytes of everything in the home but the disk images: no secret, ever.
    const files = await filesUnder(home, (p) => !p.startsWith(join(home, "file-storage")));
    assert.ok(files.includes(join(home, "guestos.db")));
    for (const f of files) {
      const bytes = await readFile(f);
      for (const v of secretValues) assert.equal(bytes.includes(v), false, `${f} holds the secret "${v}"`);
      if (!/guestos\.db(-wal|-shm|-journal)?$/.test(f)) {
        for (const v of privateValues)
          assert.equal(bytes.includes(v), false, `${f} holds the private "${v}"`);
      }
    }

    // Private values are stored, in their own tables only.
    const db = new Database(join(home, "guestos.db"), { readonly: true, fileMustExist: true });
    try {
      const where = new Map<string, Set<string>>();
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .pluck()
        .all() as string[];
      for (const table of tables) {
        for (const row of db.prepare(`SELECT * FROM "${table.replaceAll('"', '""')}"`).all() as object[]) {
          for (const [col, value] of Object.entries(row)) {
            for (const v of [...privateValues, ...secretValues]) {
              if (String(value).includes(v))
                where.set(v, new Set([...(where.get(v) ?? []), `${table}.${col}`]));
            }
          }
        }
      }
      const found = Object.fromEntries([...where].map(([v, s]) => [v, [...s]]));
      assert.deepEqual(found, {
        // The add's priv-key value was replaced at reinstall; no secret anywhere.
        [ADD_PRIVATE["priv-two"]]: ["instance_private_params.value"],
        [REINSTALL_PRIVATE["priv-key"]]: ["instance_private_params.value"],
        [NODE_PRIVATE]: ["os_private_params.value"],
      });
    } finally {
      db.close();
    }
  });
});

/** Regular files below `dir` (recursively) that `keep` accepts. */
async function filesUnder(dir: string, keep: (path: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (!keep(p)) continue;
    if (e.isDirectory()) out.push(...(await filesUnder(p, keep)));
    else if ((await stat(p)).isFile()) out.push(p);
  }
  return out;
}
