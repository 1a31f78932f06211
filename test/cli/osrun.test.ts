/**
 * `guestos os run` as a whole process: an OS whose scripts record their argv, cwd and environment, real disk
 * streams on file descriptors, and every way a run can fail, with the exact messages and exit codes.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, open, readFile, readdir, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dir, file, script, writeNode, type FsNode } from "../fixtures/fstree.js";
import { guestos, type CliResult } from "../interop/cli.js";

const INSTANCE = "inst1.example.com";
const DISK_BYTES = 4096;

let root: string;
let search: string;
let records: string;
let logDir: string;
let specFile: string;
let disks: string[];
const specs: Record<string, string> = {};

/**
 * A Node script (no shell: dash would add PWD to the environment) that records how it was started into
 * `<records>/<script>.json`, then does the script's job: import copies stdin to IMPORT_DEVICE, export writes
 * the size on EXP_SIZE_FD and EXPORT_DEVICE to stdout; the others write a line to stdout.
 */
function recorder(recordDir: string): FsNode {
  const body = `"use strict";
const fs = require("fs");
const kind = require("path").basename(process.argv[1]);
const record = { argv: process.argv.slice(1), cwd: process.cwd(), env: process.env };
fs.writeFileSync(${JSON.stringify(recordDir)} + "/" + kind + ".json", JSON.stringify(record));
process.stderr.write(kind + " stderr\\n");
if (kind === "import") {
  fs.writeFileSync(process.env.IMPORT_DEVICE, fs.readFileSync(0));
} else if (kind === "export") {
  const data = fs.readFileSync(process.env.EXPORT_DEVICE);
  fs.writeSync(Number(process.env.EXP_SIZE_FD), data.length + "\\n");
  for (let off = 0; off < data.length; ) off += fs.writeSync(1, data, off);
} else {
  process.stdout.write(kind + " ran\\n");
}
`;
  return file(`#!${process.execPath}\n${body}`, 0o755);
}

const sh = (body: string): FsNode => script(0o755, body);
const OK = sh("exit 0\n");
const BASE = { create: OK, export: OK, import: OK, rename: OK };
const API20 = { ganeti_api_version: file("20\n"), verify: OK, "parameters.list": file("") };

function tree(recordDir: string): Record<string, FsNode> {
  const rec = recorder(recordDir);
  return {
    rec: dir({
      create: rec,
      export: rec,
      import: rec,
      rename: rec,
      verify: rec,
      ganeti_api_version: file("20\n15\n10\n"),
      "variants.list": file("default\nminimal\n"),
      "parameters.list": file("greeting The greeting\n"),
    }),
    exit3: dir({
      ...BASE,
      ...API20,
      create: sh("echo line1\necho line2 >&2\nexit 3\n"),
      export: sh("printf partial\necho export failing >&2\nexit 4\n"),
      verify: sh("echo bad params\necho from stderr >&2\nexit 2\n"),
    }),
    killed: dir({ ...BASE, ...API20, create: sh("echo before the kill\nkill -9 $$\n") }),
    hang: dir({
      ...BASE,
      ...API20,
      create: sh(
        `echo $$ > ${recordDir}/hang.pgid\nsleep 120 &\necho $! > ${recordDir}/hang.child\necho started\nwait\n`,
      ),
    }),
    untrusted: dir({ export: OK, import: OK, rename: OK, create_untrusted: OK, ...API20 }),
    ten: dir({ ...BASE, ganeti_api_version: file("10\n") }),
  };
}

/** An instance spec with every generated value fixed, so two runs get the same environment. */
function specDoc(os: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: INSTANCE,
    os,
    uuid: "0a1b2c3d-0000-4000-8000-000000000001",
    ctime: 1700000000.5,
    mtime: 1700000100.25,
    primaryNode: "0a1b2c3d-0000-4000-8000-0000000000aa",
    osparams: { greeting: "hello" },
    disks: disks.map((path, i) => ({ path, size: 1, uuid: `0a1b2c3d-0000-4000-8000-00000000d00${i}` })),
    nics: [
      {
        mac: "aa:00:00:12:34:56",
        ip: "192.0.2.10",
        link: "br0",
        uuid: "0a1b2c3d-0000-4000-8000-0000000000c0",
      },
    ],
    ...over,
  };
}

/** `guestos os run ARGS` with our search path and log dir. */
function run(args: string[], io: { stdin?: number; stdout?: number; env?: NodeJS.ProcessEnv } = {}) {
  return guestos(["os", "run", ...args, "--search-path", search, "--log-dir", logDir], io);
}

interface Recorded {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}
const recorded = async (kind: string): Promise<Recorded> =>
  JSON.parse(await readFile(join(records, `${kind}.json`), "utf8")) as Recorded;

interface DryRun {
  script: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  logFile: string | null;
}
async function dryRun(args: string[]): Promise<DryRun> {
  const r = await run([...args, "--dry-run", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as DryRun;
}

/** The log file named in the Hint line of a failure. */
function hintedLog(r: CliResult): string {
  const m = /\nHint: the whole log is in (.+)\n$/.exec(r.stderr);
  assert.ok(m, r.stderr);
  return m[1]!;
}

const logPattern = (prefix: string) =>
  new RegExp(
    `^${logDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/${prefix}-\\d{4}-\\d\\d-\\d\\d_\\d\\d_\\d\\d_\\d\\d(-\\d+)?\\.log$`,
  );

before(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), "guestos-cli-osrun-")));
  search = join(root, "os");
  records = join(root, "records");
  logDir = join(root, "log");
  disks = [join(root, "disk0.img"), join(root, "disk1.img")];
  await writeNode(records, dir());
  await writeNode(search, dir(tree(records)));
  for (const d of disks) await writeFile(d, randomBytes(DISK_BYTES));
  specFile = join(root, "spec.json");
  await writeFile(specFile, JSON.stringify(specDoc("rec+default")));
  for (const os of ["exit3", "killed", "hang", "untrusted", "ten", "nosuch"]) {
    specs[os] = join(root, `spec-${os}.json`);
    await writeFile(specs[os], JSON.stringify(specDoc(os, { osparams: {} })));
  }
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("--dry-run", () => {
  test("--json prints script, argv, cwd, env and logFile, and runs nothing", async () => {
    const plan = await dryRun(["create", "--instance", specFile]);
    assert.deepEqual(Object.keys(plan), ["script", "argv", "cwd", "env", "logFile"]);
    assert.equal(plan.script, join(search, "rec", "create"));
    assert.deepEqual(plan.argv, [plan.script]);
    assert.equal(plan.cwd, join(search, "rec"));
    assert.match(plan.logFile!, logPattern(`add-rec\\+default-${INSTANCE}`));
    assert.equal(plan.env.INSTANCE_NAME, INSTANCE);
    assert.equal(plan.env.OS_VARIANT, "default");
    assert.equal(plan.env.OSP_GREETING, "hello");
    assert.equal(plan.env.DISK_COUNT, "2");
    assert.equal(plan.env.INSTANCE_REINSTALL, undefined);
    assert.equal(existsSync(logDir), false, "no log dir, no log file");
    assert.equal(existsSync(join(records, "create.json")), false, "the script did not run");
  });

  test("text form", async () => {
    const plan = await dryRun(["rename", "--old-name", "old.example.com", "--instance", specFile]);
    const r = await run(["rename", "--old-name", "old.example.com", "--instance", specFile, "--dry-run"]);
    assert.equal(r.code, 0);
    const lines = r.stdout.split("\n");
    assert.deepEqual(lines.slice(0, 3), [
      `script: ${plan.script}`,
      `argv: ${JSON.stringify(plan.argv)}`,
      `cwd: ${plan.cwd}`,
    ]);
    assert.match(lines[3]!, /^log file: .*\/rename-rec\+default-old\.example\.com-inst1\.example\.com-/);
    assert.deepEqual(lines.slice(4), [
      "environment:",
      ...Object.entries(plan.env).map(([k, v]) => `  ${k}=${v}`),
      "",
    ]);
    assert.equal(plan.env.OLD_INSTANCE_NAME, "old.example.com");
    assert.equal(existsSync(logDir), false);
  });

  test("verify has no log file: its output is captured", async () => {
    const plan = await dryRun(["verify", "--instance", specFile]);
    assert.equal(plan.logFile, null);
    assert.deepEqual(plan.argv, [join(search, "rec", "verify"), "parameters"]);
  });
});

describe("running the scripts", () => {
  test("create: the script gets exactly the planned argv, cwd and environment", async () => {
    const plan = await dryRun(["create", "--instance", specFile]);
    const r = await run(["create", "--instance", specFile, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const summary = JSON.parse(r.stdout) as { script: string; exitCode: number; logFile: string };
    assert.deepEqual(Object.keys(summary), ["script", "exitCode", "logFile"]);
    assert.equal(summary.script, "create");
    assert.equal(summary.exitCode, 0);
    assert.match(summary.logFile, logPattern(`add-rec\\+default-${INSTANCE}`));
    assert.equal(await readFile(summary.logFile, "utf8"), "create stderr\ncreate ran\n");
    assert.deepEqual(await recorded("create"), { argv: plan.argv, cwd: plan.cwd, env: plan.env });
  });

  test("create, text summary", async () => {
    const r = await run(["create", "--instance", specFile]);
    assert.equal(r.code, 0);
    const m = /^create: success \(exit code 0\)\nlog: (.+)\n$/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.match(m[1]!, logPattern(`add-rec\\+default-${INSTANCE}`));
  });

  test("--reinstall: create with INSTANCE_REINSTALL=1, logged as add", async () => {
    const plan = await dryRun(["create", "--reinstall", "--instance", specFile]);
    assert.equal(plan.env.INSTANCE_REINSTALL, "1");
    const r = await run(["create", "--reinstall", "--instance", specFile, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { script: string; logFile: string };
    assert.equal(summary.script, "reinstall");
    assert.match(summary.logFile, logPattern(`add-rec\\+default-${INSTANCE}`));
    const rec = await recorded("create");
    assert.deepEqual(rec.env, plan.env);
    assert.equal(rec.env.INSTANCE_REINSTALL, "1");
  });

  test("rename without --old-name is refused before anything runs", async () => {
    const r = await run(["rename", "--instance", specFile]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: `Error: Cannot run rename for "${INSTANCE}": the old name is required\n`,
    });
    assert.equal(existsSync(join(records, "rename.json")), false);
  });

  test("rename with --old-name: OLD_INSTANCE_NAME, log named old-new", async () => {
    const args = ["rename", "--old-name", "old.example.com", "--instance", specFile];
    const plan = await dryRun(args);
    const r = await run([...args, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { logFile: string };
    assert.match(summary.logFile, logPattern(`rename-rec\\+default-old\\.example\\.com-${INSTANCE}`));
    const rec = await recorded("rename");
    assert.deepEqual(rec, { argv: plan.argv, cwd: plan.cwd, env: plan.env });
    assert.equal(rec.env.OLD_INSTANCE_NAME, "old.example.com");
    assert.equal(rec.env.INSTANCE_NAME, INSTANCE);
  });

  test("verify: `verify parameters` with the core environment only, output reported", async () => {
    const r = await run(["verify", "--instance", specFile, "--json"]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      script: "verify",
      exitCode: 0,
      logFile: null,
      output: "verify ran\nverify stderr\n",
    });
    const rec = await recorded("verify");
    assert.deepEqual(rec.argv, [join(search, "rec", "verify"), "parameters"]);
    assert.equal(rec.cwd, join(search, "rec"));
    assert.deepEqual(rec.env, {
      OS_API_VERSION: "20",
      OS_NAME: "rec",
      DEBUG_LEVEL: "0",
      OS_VARIANT: "default",
      PATH: "/sbin:/bin:/usr/sbin:/usr/bin",
      OSP_GREETING: "hello",
    });
    const text = await run(["verify", "--instance", specFile]);
    assert.deepEqual(text, {
      code: 0,
      stdout: "verify: success (exit code 0)\noutput: verify ran\nverify stderr\n",
      stderr: "",
    });
  });

  test("--home puts the log under <home>/log/os; GUESTOS_HOME does too", async () => {
    const home = join(root, "home");
    const viaFlag = await guestos([
      "os",
      "run",
      "create",
      "--instance",
      specFile,
      "--search-path",
      search,
      "--home",
      home,
      "--json",
    ]);
    assert.equal(viaFlag.code, 0, viaFlag.stderr);
    const flagLog = (JSON.parse(viaFlag.stdout) as { logFile: string }).logFile;
    assert.ok(flagLog.startsWith(join(home, "log", "os") + "/"), flagLog);
    const home2 = join(root, "home2");
    const viaEnv = await guestos(
      ["os", "run", "create", "--instance", specFile, "--search-path", search, "--json"],
      {
        env: { ...process.env, GUESTOS_HOME: home2 },
      },
    );
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    const envLog = (JSON.parse(viaEnv.stdout) as { logFile: string }).logFile;
    assert.ok(envLog.startsWith(join(home2, "log", "os") + "/"), envLog);
  });
});

describe("disk streams", () => {
  test("export --disk 1: the disk on stdout, the summary as JSON on stderr with the EXP_SIZE_FD size", async () => {
    const dump = join(root, "export.dump");
    const fh = await open(dump, "w");
    let r: CliResult;
    try {
      r = await run(["export", "--disk", "1", "--instance", specFile, "--json"], { stdout: fh.fd });
    } finally {
      await fh.close();
    }
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(await readFile(dump), await readFile(disks[1]!));
    const summary = JSON.parse(r.stderr) as {
      script: string;
      exitCode: number;
      logFile: string;
      size: number;
    };
    assert.deepEqual(Object.keys(summary), ["script", "exitCode", "logFile", "size"]);
    assert.equal(summary.script, "export");
    assert.equal(summary.exitCode, 0);
    assert.equal(summary.size, DISK_BYTES);
    assert.match(summary.logFile, logPattern(`export-rec\\+default-${INSTANCE}-disk1`));
    assert.equal(await readFile(summary.logFile, "utf8"), "export stderr\n");
    const rec = await recorded("export");
    assert.equal(rec.env.EXPORT_DEVICE, disks[1]);
    assert.equal(rec.env.EXPORT_INDEX, "1");
    assert.equal(rec.env.EXP_SIZE_FD, "3");
  });

  test("import --disk 0: stdin into the disk, the text summary on stderr", async () => {
    const source = join(root, "import.src");
    const bytes = randomBytes(DISK_BYTES);
    await writeFile(source, bytes);
    const plan = await dryRun(["import", "--disk", "0", "--instance", specFile]);
    const fh = await open(source, "r");
    let r: CliResult;
    try {
      r = await run(["import", "--disk", "0", "--instance", specFile], { stdin: fh.fd });
    } finally {
      await fh.close();
    }
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "");
    const m = /^import: success \(exit code 0\)\nlog: (.+)\n$/.exec(r.stderr);
    assert.ok(m, r.stderr);
    assert.match(m[1]!, logPattern(`import-rec\\+default-${INSTANCE}-disk0`));
    assert.deepEqual(await readFile(disks[0]!), bytes);
    const rec = await recorded("import");
    assert.deepEqual(rec, { argv: plan.argv, cwd: plan.cwd, env: plan.env });
    assert.equal(rec.env.IMPORT_DEVICE, disks[0]);
    assert.equal(rec.env.IMPORT_INDEX, "0");
  });

  test("a disk index out of range", async () => {
    const r = await run(["export", "--disk", "2", "--instance", specFile]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr:
        `Error: Cannot build the export environment for "${INSTANCE}": disk index 2 is out of range ` +
        "(the instance has 2 disks)\n",
    });
  });

  test("export --json failing: the error goes to stderr, the dump holds only the script's bytes", async () => {
    const dump = join(root, "failed.dump");
    const fh = await open(dump, "w");
    let r: CliResult;
    try {
      r = await run(["export", "--instance", specs.exit3!, "--json"], { stdout: fh.fd });
    } finally {
      await fh.close();
    }
    assert.equal(r.code, 1);
    assert.equal(await readFile(dump, "utf8"), "partial");
    const err = JSON.parse(r.stderr) as { error: { code: string; message: string; hint: string } };
    assert.equal(err.error.code, "SCRIPT_FAILED");
    assert.equal(
      err.error.message,
      "OS export script failed (exited with exit code 4), last lines in the log file:\nexport failing",
    );
    assert.match(err.error.hint, /^the whole log is in .*\/export-exit3-inst1\.example\.com-disk0-/);
  });
});

describe("failures", () => {
  test("the script exits 3: Ganeti's message with the log tail, then a Hint naming the log", async () => {
    const r = await run(["create", "--instance", specs.exit3!]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    const log = hintedLog(r);
    assert.match(log, logPattern(`add-exit3-${INSTANCE}`));
    assert.equal(
      r.stderr,
      "Error: OS create script failed (exited with exit code 3), last lines in the log file:\n" +
        "line1\nline2\n" +
        `Hint: the whole log is in ${log}\n`,
    );
    assert.equal(await readFile(log, "utf8"), "line1\nline2\n");
  });

  test("the script is killed by a signal", async () => {
    const r = await run(["create", "--instance", specs.killed!]);
    assert.equal(r.code, 1);
    const log = hintedLog(r);
    assert.equal(
      r.stderr,
      "Error: OS create script failed (terminated by signal 9), last lines in the log file:\n" +
        "before the kill\n" +
        `Hint: the whole log is in ${log}\n`,
    );
  });

  test("the script hangs past --timeout 1: its whole process group is killed", async () => {
    const r = await run(["create", "--timeout", "1", "--instance", specs.hang!]);
    assert.equal(r.code, 1);
    const log = hintedLog(r);
    assert.equal(
      r.stderr,
      "Error: OS create script failed (terminated by signal 15, terminated after timeout of 1.00 seconds), " +
        "last lines in the log file:\nstarted\n" +
        `Hint: the whole log is in ${log}\n`,
    );
    const pgid = Number(await readFile(join(records, "hang.pgid"), "utf8"));
    const child = Number(await readFile(join(records, "hang.child"), "utf8"));
    assert.ok(pgid > 1 && child > 1);
    assert.deepEqual(await liveMembers(pgid), [], "no live process left in the script's group");
  });

  test("--timeout must be a whole number of seconds that a timer can hold", async () => {
    for (const bad of ["x", "-1", "1.5", "2147484"]) {
      const r = await run(["create", "--timeout", bad, "--instance", specFile]);
      assert.equal(r.code, 1, bad);
      assert.equal(r.stdout, "");
      assert.equal(
        r.stderr.split("\n")[0],
        `error: option '--timeout <seconds>' argument '${bad}' is invalid. ` +
          `--timeout must be an integer from 0 to 2147483, got "${bad}"`,
      );
    }
  });

  test("an untrusted-only OS cannot be created or reinstalled", async () => {
    const message =
      'Error: Cannot run create of OS "untrusted": it has only create_untrusted (untrusted OSes are installed ' +
      "through a helper VM, which guestos does not run)\n";
    for (const extra of [[], ["--reinstall"]]) {
      const r = await run(["create", ...extra, "--instance", specs.untrusted!]);
      assert.deepEqual(r, { code: 1, stdout: "", stderr: message });
    }
  });

  test("an API 10 OS has no verify", async () => {
    const r = await run(["verify", "--instance", specs.ten!]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: 'Error: Cannot run verify of OS "ten": it declares API < 20, which has no verify script\n',
    });
  });

  test("verify rejecting: Ganeti's message with stdout then stderr", async () => {
    const r = await run(["verify", "--instance", specs.exit3!]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr:
        "Error: OS validation script failed (exited with exit code 2), output: bad params\nfrom stderr\n\n",
    });
  });

  test("an unknown OS", async () => {
    const r = await run(["create", "--instance", specs.nosuch!]);
    assert.deepEqual(r, {
      code: 1,
      stdout: "",
      stderr: "Error: Directory for OS nosuch not found in search path\n",
    });
  });

  describe("a bad instance spec file", () => {
    const badSpec = async (name: string, text: string) => {
      const path = join(root, name);
      await writeFile(path, text);
      return path;
    };

    test("not JSON", async () => {
      const path = await badSpec("notjson.json", "{name: 1");
      const r = await run(["create", "--instance", path]);
      assert.equal(r.code, 1);
      assert.ok(r.stderr.startsWith(`Error: Cannot read instance spec "${path}": `), r.stderr);
      assert.match(r.stderr, /JSON/);
    });

    test("a missing file", async () => {
      const path = join(root, "missing.json");
      const r = await run(["create", "--instance", path]);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `Error: Cannot read instance spec "${path}": ENOENT: no such file or directory, open '${path}'\n`,
      );
    });

    test("an unknown field, named", async () => {
      const path = await badSpec(
        "unknown.json",
        JSON.stringify({ ...specDoc("rec+default"), colour: "red" }),
      );
      const r = await run(["create", "--instance", path]);
      assert.deepEqual(r, {
        code: 1,
        stdout: "",
        stderr: `Error: Cannot read instance spec "${path}": colour: unknown field\n`,
      });
    });

    test("a bad instance name, named", async () => {
      const path = await badSpec("badname.json", JSON.stringify(specDoc("rec+default", { name: "-bad_" })));
      const r = await run(["create", "--instance", path]);
      assert.deepEqual(r, {
        code: 1,
        stdout: "",
        stderr:
          `Error: Cannot read instance spec "${path}": name: "-bad_" is not a valid host name (dot-separated ` +
          'labels of letters, digits and "-", not starting or ending with "-", at most 63 characters each and ' +
          "255 in all)\n",
      });
    });

    test("several problems: the first in the message, the others in the hint", async () => {
      const doc = { ...specDoc("rec+default"), colour: "red", disks: [{ path: disks[0], size: -1 }] };
      const path = await badSpec("two.json", JSON.stringify(doc));
      const r = await run(["create", "--instance", path]);
      assert.deepEqual(r, {
        code: 1,
        stdout: "",
        stderr:
          `Error: Cannot read instance spec "${path}": disks[0].size: must be at least 0, got -1\n` +
          "Hint: Also: colour: unknown field\n",
      });
    });
  });

  test("--json errors: {error: {code, message}} on stdout, nothing on stderr, exit 1", async () => {
    const unknown = await run(["create", "--instance", specs.nosuch!, "--json"]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, "");
    assert.deepEqual(JSON.parse(unknown.stdout), {
      error: { code: "OS_NOT_FOUND", message: "Directory for OS nosuch not found in search path" },
    });
    const failed = await run(["create", "--instance", specs.exit3!, "--json"]);
    assert.equal(failed.code, 1);
    assert.equal(failed.stderr, "");
    const body = JSON.parse(failed.stdout) as { error: Record<string, string> };
    assert.deepEqual(Object.keys(body.error), ["code", "message", "hint"]);
    assert.equal(body.error.code, "SCRIPT_FAILED");
    assert.equal(
      body.error.message,
      "OS create script failed (exited with exit code 3), last lines in the log file:\nline1\nline2",
    );
    const rename = await run(["rename", "--instance", specFile, "--json"]);
    assert.deepEqual(JSON.parse(rename.stdout), {
      error: { code: "BAD_OPTION", message: `Cannot run rename for "${INSTANCE}": the old name is required` },
    });
  });
});

/** Pids of the group's members that are not zombies (PID 1 here may never reap orphans). */
async function liveMembers(pgid: number): Promise<number[]> {
  const out: number[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = await readFile(`/proc/${name}/stat`, "latin1");
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") out.push(Number(name));
  }
  return out;
}
