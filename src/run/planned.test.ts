import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile, chmod } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { parseInstanceSpec, scriptEnv } from "../env/index.js";
import type { InstanceSpec } from "../env/spec.js";
import { GuestosError } from "../errors.js";
import { findOs } from "../osdef/index.js";
import type { OsDefinition } from "../osdef/types.js";
import { planScript, runPlanned } from "./planned.js";

const NOW = new Date(2025, 0, 2, 3, 4, 5); // local time, as Ganeti's TimestampForFilename
const TS = "2025-01-02_03_04_05";
const INSTANCE = "inst1.example.com";

let root: string;
let search: string;
let records: string;
let logDir: string;
let disks: string[];
let spec: InstanceSpec;
const oses: Record<string, OsDefinition> = {};

/** A Node script (dash would add PWD) that records argv, cwd and env in `<records>/<name>.json`. */
function recorder(): string {
  return `#!${process.execPath}
"use strict";
const fs = require("fs");
const kind = require("path").basename(process.argv[1]);
fs.writeFileSync(${JSON.stringify(records)} + "/" + kind + ".json",
  JSON.stringify({ argv: process.argv.slice(1), cwd: process.cwd(), env: process.env }));
if (kind === "import") fs.writeFileSync(process.env.IMPORT_DEVICE, fs.readFileSync(0));
if (kind === "export") {
  fs.writeSync(3, "11\\n");
  fs.writeSync(1, "exported...");
} else {
  process.stdout.write(kind + " out\\n");
}
process.stderr.write(kind + " err\\n");
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

const sh = (body: string) => `#!/bin/sh\n${body}`;

before(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), "guestos-runscript-")));
  search = join(root, "os");
  records = join(root, "records");
  logDir = join(root, "log");
  await mkdir(records);
  const rec = recorder();
  const ok = sh("exit 0\n");
  await writeOs("rec", {
    create: rec,
    rename: rec,
    import: rec,
    export: rec,
    verify: rec,
    ganeti_api_version: "20\n",
    "variants.list": "default\nminimal\n",
    "parameters.list": "greeting Hello\n",
  });
  const api20 = {
    ganeti_api_version: "20\n",
    "parameters.list": "",
    verify: sh("echo no good; echo really >&2; exit 5\n"),
  };
  await writeOs("fail", {
    create: sh("echo out\necho err >&2\nexit 7\n"),
    rename: ok,
    import: ok,
    export: sh(`echo $$ > ${records}/fail-export.pid\nexec sleep 60\n`),
    ...api20,
  });
  await writeOs("untrusted", { create_untrusted: ok, rename: ok, import: ok, export: ok, ...api20 });
  await writeOs("ten", { create: ok, rename: ok, import: ok, export: ok, ganeti_api_version: "10\n" });
  for (const name of ["rec", "fail", "untrusted", "ten"]) oses[name] = await findOs(name, [search]);
  disks = [join(root, "d0"), join(root, "d1")];
  for (const d of disks) await writeFile(d, "disk contents\n");
  spec = parseInstanceSpec({
    name: INSTANCE,
    os: "rec+default",
    osparams: { greeting: "hi" },
    disks: disks.map((path) => ({ path, size: 1 })),
  });
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const opts = () => ({ logDir, now: NOW });
const recorded = async (kind: string) =>
  JSON.parse(await readFile(join(records, `${kind}.json`), "utf8")) as {
    argv: string[];
    cwd: string;
    env: Record<string, string>;
  };
const isError = (code: string, message: string) => (err: unknown) =>
  err instanceof GuestosError && err.code === code && err.message === message;

describe("planScript", () => {
  test("create: the script, its argv and cwd, Ganeti's environment and log name", () => {
    const os = oses.rec!;
    const plan = planScript("create", os, spec, opts());
    assert.deepEqual(plan, {
      kind: "create",
      script: join(search, "rec", "create"),
      argv: [join(search, "rec", "create")],
      cwd: join(search, "rec"),
      env: scriptEnv("create", os, spec),
      logFile: join(logDir, `add-rec+default-${INSTANCE}-${TS}.log`),
    });
    assert.equal(existsSync(logDir), false, "planning creates nothing");
  });

  test("reinstall: the create script with INSTANCE_REINSTALL=1, logged as add", () => {
    const plan = planScript("reinstall", oses.rec!, spec, opts());
    assert.equal(plan.script, join(search, "rec", "create"));
    assert.equal(plan.env.INSTANCE_REINSTALL, "1");
    assert.equal(plan.logFile, join(logDir, `add-rec+default-${INSTANCE}-${TS}.log`));
  });

  test("rename needs the old name; the log is named old-new", () => {
    assert.throws(
      () => planScript("rename", oses.rec!, spec, opts()),
      isError("BAD_OPTION", `Cannot run rename for "${INSTANCE}": the old name is required`),
    );
    assert.throws(
      () => planScript("rename", oses.rec!, spec, { ...opts(), oldName: "" }),
      isError("BAD_OPTION", `Cannot run rename for "${INSTANCE}": the old name is required`),
    );
    const plan = planScript("rename", oses.rec!, spec, { ...opts(), oldName: "old.example.com" });
    assert.equal(plan.env.OLD_INSTANCE_NAME, "old.example.com");
    assert.equal(plan.logFile, join(logDir, `rename-rec+default-old.example.com-${INSTANCE}-${TS}.log`));
  });

  test("import and export: one disk (0 by default), EXP_SIZE_FD=3 in the environment, disk<N> in the log name", () => {
    const imp = planScript("import", oses.rec!, spec, opts());
    assert.deepEqual(imp.env, { ...scriptEnv("import", oses.rec!, spec, { disk: 0 }), EXP_SIZE_FD: "3" });
    assert.equal(imp.logFile, join(logDir, `import-rec+default-${INSTANCE}-disk0-${TS}.log`));
    const exp = planScript("export", oses.rec!, spec, { ...opts(), disk: 1 });
    assert.equal(exp.env.EXPORT_DEVICE, disks[1]);
    assert.equal(exp.env.EXP_SIZE_FD, "3");
    assert.equal(Object.keys(exp.env).at(-1), "EXP_SIZE_FD");
    assert.equal(exp.logFile, join(logDir, `export-rec+default-${INSTANCE}-disk1-${TS}.log`));
  });

  test("verify: `verify parameters`, the core environment, no log file", () => {
    const plan = planScript("verify", oses.rec!, spec, opts());
    assert.deepEqual(plan.argv, [join(search, "rec", "verify"), "parameters"]);
    assert.deepEqual(plan.env, scriptEnv("verify", oses.rec!, spec));
    assert.equal(plan.logFile, null);
  });

  test("scripts the OS does not have", () => {
    assert.throws(
      () => planScript("create", oses.untrusted!, spec, opts()),
      isError(
        "NO_SCRIPT",
        'Cannot run create of OS "untrusted": it has only create_untrusted (untrusted OSes are installed ' +
          "through a helper VM, which guestos does not run)",
      ),
    );
    assert.throws(() => planScript("reinstall", oses.untrusted!, spec, opts()), /only create_untrusted/);
    assert.throws(
      () => planScript("verify", oses.ten!, spec, opts()),
      isError("NO_SCRIPT", 'Cannot run verify of OS "ten": it declares API < 20, which has no verify script'),
    );
  });
});

describe("runPlanned", () => {
  test("create runs with exactly the planned argv, cwd and env; stdout and stderr go to the log", async () => {
    const plan = planScript("create", oses.rec!, spec, opts());
    const res = await runPlanned(plan);
    assert.equal(res.exitCode, 0);
    assert.equal(res.failed, false);
    assert.equal(res.logFile, plan.logFile);
    assert.deepEqual(await recorded("create"), { argv: plan.argv, cwd: plan.cwd, env: plan.env });
    assert.equal(await readFile(plan.logFile!, "utf8"), "create out\ncreate err\n");
    // The same name again (same second): a new file beside it, and the result names it.
    const again = await runPlanned(plan);
    assert.equal(again.logFile, join(logDir, `add-rec+default-${INSTANCE}-${TS}-1.log`));
  });

  test("export: the stream, the size from EXP_SIZE_FD, EXP_SIZE_FD once in the env", async () => {
    const plan = planScript("export", oses.rec!, spec, { ...opts(), disk: 1 });
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on("data", (c: Buffer) => chunks.push(c));
    const res = await runPlanned(plan, { stdout: sink });
    assert.equal(res.expSize, 11);
    assert.equal(Buffer.concat(chunks).toString(), "exported...");
    assert.deepEqual((await recorded("export")).env, plan.env);
    assert.equal(await readFile(res.logFile!, "utf8"), "export err\n");
  });

  test("import: the stream into the disk", async () => {
    const plan = planScript("import", oses.rec!, spec, opts());
    const res = await runPlanned(plan, { stdin: Readable.from([Buffer.from("new "), Buffer.from("bytes")]) });
    assert.equal(res.exitCode, 0);
    assert.equal(await readFile(disks[0]!, "utf8"), "new bytes");
    assert.deepEqual((await recorded("import")).env, plan.env);
  });

  test("verify: the output is captured, stdout then stderr", async () => {
    const res = await runPlanned(planScript("verify", oses.rec!, spec, opts()));
    assert.equal(res.logFile, null);
    assert.equal(res.output, "verify out\nverify err\n");
  });

  test("a failing create: Ganeti's message with the log tail, the log in the hint", async () => {
    const failSpec = parseInstanceSpec({ name: INSTANCE, os: "fail" });
    for (const kind of ["create", "reinstall"] as const) {
      const plan = planScript(kind, oses.fail!, failSpec, opts());
      await assert.rejects(runPlanned(plan), (err: unknown) => {
        assert.ok(err instanceof GuestosError);
        assert.equal(err.code, "SCRIPT_FAILED");
        assert.equal(
          err.message,
          "OS create script failed (exited with exit code 7), last lines in the log file:\nout\nerr",
        );
        assert.match(
          err.hint ?? "",
          new RegExp(`^the whole log is in ${logDir}/add-fail-${INSTANCE}-${TS}(-\\d+)?\\.log$`),
        );
        return true;
      });
    }
  });

  test("a failing verify: OS_VERIFY_FAILED with its output", async () => {
    const failSpec = parseInstanceSpec({ name: INSTANCE, os: "fail" });
    await assert.rejects(
      runPlanned(planScript("verify", oses.fail!, failSpec, opts())),
      isError(
        "OS_VERIFY_FAILED",
        "OS validation script failed (exited with exit code 5), output: no good\nreally\n",
      ),
    );
  });

  test("a timeout and an abort stop the script's group", async () => {
    const failSpec = parseInstanceSpec({ name: INSTANCE, os: "fail", disks: [{ path: disks[1], size: 1 }] });
    const plan = planScript("export", oses.fail!, failSpec, opts());
    await assert.rejects(
      runPlanned(plan, { stdout: new PassThrough(), timeoutMs: 200 }),
      (err: unknown) =>
        err instanceof GuestosError &&
        err.message.startsWith(
          "OS export script failed (terminated by signal 15, terminated after timeout of 0.20 seconds), last lines",
        ),
    );
    const pidFile = join(records, "fail-export.pid");
    await rm(pidFile, { force: true });
    const ac = new AbortController();
    const running = runPlanned(plan, { stdout: new PassThrough(), signal: ac.signal });
    // Abort once the script is surely running (it has written its pid), not after a guessed delay.
    while (!existsSync(pidFile)) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    await assert.rejects(
      running,
      (err: unknown) =>
        err instanceof GuestosError &&
        err.message.startsWith("OS export script failed (terminated by signal 15, terminated after abort)"),
    );
  });
});
