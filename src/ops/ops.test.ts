/**
 * The operations through the ops API in one process, on a real store and real sparse files, with a test OS
 * whose scripts record what they got: records, disks, job records and logs, and the error paths.
 */
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dir, file, script, writeNode } from "../../test/fixtures/fstree.js";
import { getInstance, getPrivateParams, openNode, type NodeHandle } from "../node/index.js";
import type { JobLogEntry } from "../node/types.js";
import {
  addInstance,
  jobDetails,
  modifyInstance,
  modifyOs,
  queryInstances,
  queryJobs,
  reinstallInstance,
  removeInstance,
  renameInstance,
  watchJob,
  type AddRequest,
} from "./index.js";

let root: string;
let search: string;
let node: NodeHandle;
let log: JobLogEntry[];

// Each script appends "<kind> <INSTANCE_NAME> <OSP_GREETING> <INSTANCE_REINSTALL>" to <search>/calls, and
// create fails when the greeting is "fail".
const RECORD = (kind: string) =>
  script(
    0o755,
    `echo "${kind} $INSTANCE_NAME \${OSP_GREETING:-} \${INSTANCE_REINSTALL:-} \${OLD_INSTANCE_NAME:-}" >> "$(dirname "$0")/../calls"\n` +
      (kind === "create" ? '[ "$OSP_GREETING" = fail ] && { echo boom; exit 3; }\nexit 0\n' : "exit 0\n"),
  );

const OS = dir({
  ganeti_api_version: file("20\n"),
  "variants.list": file("default\n"),
  "parameters.list": file("greeting a greeting\nsecret a secret\n"),
  create: RECORD("create"),
  rename: RECORD("rename"),
  export: RECORD("export"),
  import: RECORD("import"),
  verify: script(0o755, 'case "$OSP_GREETING" in *bad*) echo "rejected"; exit 1 ;; esac\nexit 0\n'),
});

const calls = async (): Promise<string[]> => {
  const path = join(search, "calls");
  return existsSync(path)
    ? (await readFile(path, "utf8"))
        .trimEnd()
        .split("\n")
        .map((l) => l.trimEnd())
    : [];
};

const request = (name: string, extra: Partial<AddRequest> = {}): AddRequest => ({
  name,
  os: "rec+default",
  template: "file",
  disks: [{ index: 0, size: 8, adopt: null, mode: "rw", name: "root" }],
  nics: [{ index: 0, mac: "auto", ip: null, mode: null, link: null, vlan: null, name: null, network: null }],
  ...extra,
});
const opts = () => ({ onLog: (e: JobLogEntry) => void log.push(e) });

before(async () => {
  root = await mkdtemp(join(tmpdir(), "guestos-ops-"));
  search = join(root, "os");
  await writeNode(search, dir({ rec: OS }));
});

beforeEach(async () => {
  await rm(join(search, "calls"), { force: true });
  const home = await mkdtemp(join(root, "home-"));
  await writeFile(join(home, "config.json"), JSON.stringify({ searchPath: [search] }));
  node = await openNode(home);
  log = [];
});

after(async () => {
  node?.close();
  await rm(root, { recursive: true, force: true });
});

describe("instance add", () => {
  test("creates sparse disks, runs create, records the instance and a successful job", async () => {
    const res = await addInstance(
      node,
      request("web1.example.com", { osparams: { greeting: "hi" } }),
      opts(),
    );
    assert.deepEqual(res.result, { name: "web1.example.com" });
    const rec = getInstance(node.db, "web1.example.com")!;
    assert.equal(rec.installState, "installed");
    assert.equal(rec.disks.length, 1);
    const st = await stat(rec.disks[0]!.path);
    assert.equal(st.size, 8 * 1024 * 1024);
    assert.equal(st.blocks, 0, "a sparse file");
    assert.match(rec.nics[0]!.mac, /^aa:00:00(:[0-9a-f]{2}){3}$/);
    assert.deepEqual(await calls(), ["create web1.example.com hi"]);
    assert.deepEqual(
      log.map((e) => [e.kind, e.text]),
      [
        ["message", "* creating instance disks..."],
        ["message", "adding instance web1.example.com to cluster config"],
        ["message", "adding disks to cluster config"],
        ["message", "* running the instance OS create scripts..."],
      ],
    );
    const [job] = queryJobs(node);
    assert.equal(job!.status, "success");
    assert.equal(job!.op, "INSTANCE_CREATE");
    assert.equal(job!.logFiles.length, 1);
    assert.match(job!.logFiles[0]!, /\/log\/os\/add-rec\+default-web1\.example\.com-[\d_-]+\.log$/);
  });

  test("a failing create keeps the instance and its disks, marked failed, with Ganeti's message", async () => {
    await assert.rejects(
      addInstance(node, request("bad.example.com", { osparams: { greeting: "fail" } })),
      (err) => {
        const e = err as { code: string; message: string; hint: string };
        assert.equal(e.code, "SCRIPT_FAILED");
        assert.ok(
          e.message.startsWith(
            `Could not add os for instance bad.example.com on node ${node.identity.name}: OS create script failed ` +
              "(exited with exit code 3), last lines in the log file:\n",
          ),
          e.message,
        );
        assert.ok(e.message.endsWith("\nboom"), e.message);
        assert.match(e.hint, /guestos instance reinstall bad\.example\.com/);
        return true;
      },
    );
    const rec = getInstance(node.db, "bad.example.com")!;
    assert.equal(rec.installState, "failed");
    assert.ok(rec.lastError?.startsWith("Could not add os for instance bad.example.com"));
    assert.ok(existsSync(rec.disks[0]!.path));
    assert.equal(queryJobs(node)[0]!.status, "error");
  });

  test("checks come before any disk: existing name, verify rejection, bad variant", async () => {
    await addInstance(node, request("dup.example.com"));
    await assert.rejects(addInstance(node, request("dup.example.com")), {
      code: "INSTANCE_EXISTS",
      message: "Instance 'dup.example.com' is already in the cluster",
    });
    await assert.rejects(addInstance(node, request("v.example.com", { osparams: { greeting: "bad" } })), {
      code: "OS_VERIFY_FAILED",
      message: `OS Parameters validation failed on node ${node.identity.name}: OS validation script failed (exited with exit code 1), output: rejected\n`,
    });
    await assert.rejects(addInstance(node, request("w.example.com", { os: "rec+nosuch" })), {
      code: "OS_VARIANT",
      message: `OS Parameters validation failed on node ${node.identity.name}: OS 'rec' does not support variant 'nosuch'`,
    });
    assert.equal(existsSync(join(node.home, "file-storage", "v.example.com")), false);
    assert.equal(existsSync(join(node.home, "file-storage", "w.example.com")), false);
    assert.deepEqual(
      queryInstances(node).map((v) => v.name),
      ["dup.example.com"],
    );
  });

  test("request shape errors create no job", async () => {
    await assert.rejects(addInstance(node, request("-bad")), { code: "BAD_NAME" });
    await assert.rejects(addInstance(node, request("d.example.com", { template: "diskless" })), {
      message: "Diskless instance but disk information passed",
    });
    await assert.rejects(addInstance(node, request("e.example.com", { template: "blockdev" })), {
      message: "Disk template blockdev requires disk adoption, but no 'adopt' parameter given",
    });
    assert.deepEqual(queryJobs(node), []);
  });

  test("--no-install and diskless skip the create script", async () => {
    await addInstance(node, request("n.example.com", { noInstall: true }), opts());
    await addInstance(node, request("d.example.com", { template: "diskless", disks: [] }), opts());
    assert.deepEqual(await calls(), []);
    assert.deepEqual(
      queryInstances(node).map((v) => [v.name, v.installState]),
      [
        ["d.example.com", "skipped"],
        ["n.example.com", "skipped"],
      ],
    );
    assert.ok(
      log.some((e) => e.kind === "info" && e.text === "No-installation mode selected, disabling startup"),
    );
  });
});

describe("reinstall, rename, modify, remove", () => {
  test("reinstall keeps stored parameters unless changed, and sets INSTANCE_REINSTALL", async () => {
    await addInstance(
      node,
      request("r.example.com", { osparams: { greeting: "hi" }, osparamsPrivate: { secret: "s" } }),
    );
    await reinstallInstance(node, { name: "r" }, opts());
    await reinstallInstance(node, { name: "r.example.com", osparams: { greeting: "yo" } });
    assert.deepEqual(await calls(), [
      "create r.example.com hi",
      "create r.example.com hi 1",
      "create r.example.com yo 1",
    ]);
    const rec = getInstance(node.db, "r.example.com")!;
    assert.deepEqual(rec.osparams, { greeting: "yo" });
    assert.deepEqual(getPrivateParams(node.db, rec.uuid), { secret: "s" });
    assert.deepEqual(
      log.map((e) => [e.kind, e.text]),
      [["info", "Running instance OS create scripts..."]],
    );
    await assert.rejects(reinstallInstance(node, { name: "nosuch" }), {
      message: "Instance 'nosuch' not known",
    });
  });

  test("reinstall refuses an instance whose disk file is gone, before running anything", async () => {
    await addInstance(node, request("g.example.com"));
    await rm(getInstance(node.db, "g.example.com")!.disks[0]!.path);
    await assert.rejects(reinstallInstance(node, { name: "g.example.com" }), { code: "DISK_MISSING" });
    assert.equal((await calls()).length, 1, "only the first create ran");
    await removeInstance(node, { name: "g.example.com" });
    assert.deepEqual(queryInstances(node), []);
  });

  test("rename moves the file storage directory, then runs rename with OLD_INSTANCE_NAME", async () => {
    await addInstance(node, request("a.example.com"));
    const res = await renameInstance(node, { name: "a", newName: "b.example.com" });
    assert.deepEqual(res.result, { oldName: "a.example.com", newName: "b.example.com" });
    const rec = getInstance(node.db, "b.example.com")!;
    assert.ok(rec.disks[0]!.path.includes("/file-storage/b.example.com/"));
    assert.ok(existsSync(rec.disks[0]!.path));
    assert.equal(existsSync(join(node.home, "file-storage", "a.example.com")), false);
    assert.deepEqual((await calls()).slice(1), ["rename b.example.com   a.example.com"]);
    await addInstance(node, request("c.example.com"));
    await assert.rejects(renameInstance(node, { name: "c.example.com", newName: "b.example.com" }), {
      message: "Instance 'b.example.com' is already in the cluster",
    });
  });

  test("a failing rename script is only a warning", async () => {
    await addInstance(node, request("x.example.com", { noInstall: true }));
    await writeNode(join(search, "rec", "rename"), script(0o755, "echo nope; exit 1\n"));
    try {
      await renameInstance(node, { name: "x.example.com", newName: "y.example.com" }, opts());
    } finally {
      await writeNode(join(search, "rec", "rename"), RECORD("rename"));
    }
    const warning = log.find((e) => e.kind === "warning");
    assert.ok(
      warning?.text.startsWith(
        `Could not run OS rename script for instance y.example.com on node ${node.identity.name} ` +
          "(but the instance has been renamed in Ganeti): OS rename script failed (exited with exit code 1)",
      ),
      warning?.text,
    );
    assert.ok(getInstance(node.db, "y.example.com"));
  });

  test("modify returns Ganeti's change lines and resets with default", async () => {
    await addInstance(node, request("m.example.com", { osparams: { greeting: "hi" } }));
    const res = await modifyInstance(node, {
      name: "m.example.com",
      osparams: { greeting: "default" },
      osparamsPrivate: { secret: "x" },
      beparams: { maxmem: 512 },
      hvparams: { acpi: false },
    });
    assert.deepEqual(res.result.changes, [
      ["os/greeting", "default"],
      ["os_private/secret", "<redacted>"],
      ["hv/acpi", "False"],
      ["be/maxmem", "512"],
    ]);
    const view = queryInstances(node, ["m"])[0]!;
    assert.deepEqual(view.osparams, {});
    assert.deepEqual(view.osparamsPrivateKeys, ["secret"]);
    assert.equal(view.filled.beparams.maxmem, 512);
    assert.equal(view.filled.hvparams.acpi, false);
    assert.equal(view.serialNo, 2);
    const [info] = jobDetails(node, [queryJobs(node).at(-1)!.id]);
    assert.ok("job" in info! && JSON.stringify(info.job.input).includes('"secret":"<redacted>"'));
    assert.ok(!JSON.stringify(info).includes('"x"'));
  });

  test("remove deletes the disk files and the storage directory", async () => {
    await addInstance(node, request("z.example.com"));
    const path = getInstance(node.db, "z.example.com")!.disks[0]!.path;
    await removeInstance(node, { name: "z.example.com" });
    assert.equal(existsSync(path), false);
    assert.equal(existsSync(join(node.home, "file-storage", "z.example.com")), false);
    assert.equal(getInstance(node.db, "z.example.com"), null);
  });
});

describe("os modify and jobs", () => {
  test("a blacklisted OS cannot be used for new instances until it is allowed again", async () => {
    await modifyOs(node, { name: "rec+default", blacklisted: true });
    await assert.rejects(addInstance(node, request("b.example.com")), {
      code: "OS_BLACKLISTED",
      message: "Guest OS 'rec+default' is not allowed for installation",
    });
    await modifyOs(node, { name: "rec+default", blacklisted: false });
    await addInstance(node, request("b.example.com"));
    const saved = JSON.parse(await readFile(join(node.home, "config.json"), "utf8")) as {
      blacklistedOs: string[];
    };
    assert.deepEqual(saved.blacklistedOs, []);
  });

  test("node-level OS parameters reach the scripts; private ones are stored apart", async () => {
    await modifyOs(node, {
      name: "rec",
      osparams: { greeting: "from-node" },
      osparamsPrivate: { secret: "p" },
    });
    await addInstance(node, request("p.example.com"));
    assert.deepEqual(await calls(), ["create p.example.com from-node"]);
    assert.ok(!(await readFile(join(node.home, "config.json"), "utf8")).includes('"p"'));
  });

  test("watchJob replays a finished job's log and returns it", async () => {
    await addInstance(node, request("j.example.com"));
    const seen: string[] = [];
    const job = await watchJob(node, 1, (e) => seen.push(e.text));
    assert.equal(job.status, "success");
    assert.equal(seen[0], "* creating instance disks...");
    await assert.rejects(
      watchJob(node, 99, () => undefined),
      { code: "JOB_UNKNOWN" },
    );
  });
});
