import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";

import { attachLoop, detachLoopsBackedBy } from "../disks/index.js";
import { addJobResource, createJob, finishJob, getJob, jobLog, jobResources, startJob } from "./jobs.js";
import { acquireLocks, heldLocks } from "./locks.js";
import { groupMembers, isProcessAlive, processStartTime, readProcStat } from "./proc.js";
import { recoverInterrupted } from "./recovery.js";
import { openStore, type Db } from "./store.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const children: ChildProcess[] = [];
const groups: number[] = [];
const loopFiles: string[] = [];
let home: string;
let tmp: string;
let db: Db;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "guestos-recovery-"));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "guestos-recovery-tmp-"));
  db = openStore(home);
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const g of groups.splice(0)) {
    try {
      process.kill(-g, "SIGKILL");
    } catch {
      // already gone
    }
  }
  for (const f of loopFiles.splice(0)) {
    await detachLoopsBackedBy(f);
    assert.equal(losetupJ(f), "", `losetup -j ${f} after cleanup`);
  }
  db.close();
  fs.rmSync(home, { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});

function losetupJ(file: string): string {
  return execFileSync("losetup", ["-j", file], { encoding: "utf8" });
}

type Live = ChildProcess & { pid: number };

/** Spawn a process and wait until it runs; `detached` makes it the leader of its own group and session. */
async function start(argv: string[], opts: { detached?: boolean; stdin?: boolean } = {}): Promise<Live> {
  const child = spawn(argv[0]!, argv.slice(1), {
    detached: opts.detached ?? false,
    stdio: [opts.stdin ? "pipe" : "ignore", "pipe", "inherit"],
  });
  children.push(child);
  await once(child, "spawn");
  if (opts.detached) groups.push(child.pid!);
  return child as Live;
}

async function kill(child: ChildProcess): Promise<void> {
  child.kill("SIGKILL");
  if (child.exitCode === null && child.signalCode === null) await once(child, "exit");
}

function addInstance(name: string, state: string): void {
  db.prepare(
    `INSERT INTO instances (uuid, name, os, hypervisor, disk_template, install_state, ctime, mtime)
     VALUES (?, ?, 'noop', 'fake', 'diskless', ?, 1, 1)`,
  ).run(`uuid-${name}`, name, state);
}

function instanceState(name: string): unknown {
  return db.prepare("SELECT install_state, last_error FROM instances WHERE name = ?").get(name);
}

/** A running job whose recorded process is `proc`. */
async function jobOf(proc: Live, target: string, locks: string[] = []): Promise<number> {
  const id = createJob(db, { op: "INSTANCE_CREATE", target, input: {} }).id;
  await acquireLocks(db, id, locks);
  startJob(db, id);
  db.prepare("UPDATE jobs SET pid = ?, pid_start = ? WHERE id = ?").run(
    proc.pid,
    processStartTime(proc.pid),
    id,
  );
  return id;
}

function interrupted(id: number, pid: number): string {
  return `Job ${id} was interrupted: its process ${pid} ended before the job finished`;
}

describe("recoverInterrupted", () => {
  test("a SIGKILLed job: its groups killed, loop detached, temp paths removed, job and instance failed", async () => {
    addInstance("web1.example.com", "pending");
    addInstance("other.example.com", "pending");
    const worker = await start([process.execPath, "-e", "setInterval(() => {}, 1e6)"]);
    const workerStart = processStartTime(worker.pid);
    const id = await jobOf(worker, "web1.example.com", ["instance:web1.example.com", "node-config"]);

    // A script still running as its group's leader.
    const script = await start(["sleep", "1000"], { detached: true });
    addJobResource(db, id, "pgid", `${script.pid}:${processStartTime(script.pid)}`);
    // A script that died leaving a child in its group.
    const leader = await start(
      [
        process.execPath,
        "-e",
        "const c = require('node:child_process').spawn('sleep', ['1000'], { stdio: 'ignore' }); console.log(c.pid); process.stdin.on('data', () => {}); process.stdin.on('end', () => process.exit(0));",
      ],
      { detached: true, stdin: true },
    );
    const [out] = (await once(leader.stdout!, "data")) as [Buffer];
    const orphan = Number(out.toString().trim());
    const orphanStart = processStartTime(orphan)!;
    addJobResource(db, id, "pgid", `${leader.pid}:${processStartTime(leader.pid)}`);
    leader.stdin!.end();
    await once(leader, "exit");
    assert.equal(isProcessAlive(orphan, orphanStart), true);
    // A group number since reused by someone else: recorded with another start time, must survive.
    const stranger = await start(["sleep", "1000"], { detached: true });
    const strangerStart = processStartTime(stranger.pid)!;
    addJobResource(db, id, "pgid", `${stranger.pid}:${strangerStart}9`);

    // Temp paths, one holding a symlink to a directory outside that must not be followed.
    const outside = path.join(tmp, "outside");
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, "keep"), "keep");
    const tempdir = path.join(tmp, "work");
    fs.mkdirSync(path.join(tempdir, "a", "b"), { recursive: true });
    fs.writeFileSync(path.join(tempdir, "a", "b", "f"), "x");
    fs.symlinkSync(outside, path.join(tempdir, "a", "link"));
    const tempfile = path.join(tmp, "file.tmp");
    fs.writeFileSync(tempfile, "x");
    const linkfile = path.join(tmp, "link.tmp");
    fs.symlinkSync(path.join(outside, "keep"), linkfile);
    addJobResource(db, id, "tempdir", tempdir);
    addJobResource(db, id, "tempfile", tempfile);
    addJobResource(db, id, "tempfile", linkfile);
    addJobResource(db, id, "tempfile", path.join(tmp, "never-created"));

    // A disk image on a loop device.
    const image = path.join(tmp, "disk.img");
    fs.writeFileSync(image, "");
    fs.truncateSync(image, 64 * 1024 * 1024);
    loopFiles.push(image);
    const device = await attachLoop(image);
    addJobResource(db, id, "loopfile", image);
    assert.match(losetupJ(image), new RegExp(`^${device}: `));

    await kill(worker);
    const report = await recoverInterrupted(db, { now: 1700000000.25 });

    assert.deepEqual(report, {
      jobs: [id],
      killed: [script.pid, leader.pid],
      detached: [device],
      removed: [tempdir, tempfile, linkfile],
      failed: [],
    });
    assert.equal(isProcessAlive(script.pid, null), false);
    assert.equal(isProcessAlive(orphan, orphanStart), false);
    assert.deepEqual(groupMembers(leader.pid), []);
    assert.equal(isProcessAlive(stranger.pid, strangerStart), true, "a reused group number is left alone");
    assert.equal(losetupJ(image), "");
    assert.equal(fs.existsSync(tempdir), false);
    assert.equal(fs.existsSync(tempfile), false);
    assert.equal(fs.existsSync(linkfile), false);
    assert.equal(fs.readFileSync(path.join(outside, "keep"), "utf8"), "keep");

    const message = interrupted(id, worker.pid);
    const job = getJob(db, id)!;
    assert.equal(job.status, "error");
    assert.deepEqual(job.error, { code: "JOB_INTERRUPTED", message, hint: null });
    assert.equal(job.endTs, 1700000000.25);
    assert.deepEqual(
      [job.pid, job.pidStart],
      [worker.pid, workerStart],
      "the job still names the process that died",
    );
    assert.deepEqual(
      jobLog(db, id).map((e) => [e.kind, e.text, e.ts]),
      [["warning", message, 1700000000.25]],
    );
    assert.deepEqual(heldLocks(db, id), []);
    assert.deepEqual(jobResources(db, id), []);
    assert.deepEqual(instanceState("web1.example.com"), { install_state: "failed", last_error: message });
    assert.deepEqual(instanceState("other.example.com"), { install_state: "pending", last_error: null });

    assert.deepEqual(await recoverInterrupted(db), {
      jobs: [],
      killed: [],
      detached: [],
      removed: [],
      failed: [],
    });
  });

  test("live jobs, ended jobs and instances not pending are left alone", async () => {
    addInstance("a", "installed");
    const mine = createJob(db, { op: "INSTANCE_CREATE", target: "a", input: {} }).id;
    addJobResource(db, mine, "tempfile", path.join(tmp, "mine"));
    fs.writeFileSync(path.join(tmp, "mine"), "");
    const done = createJob(db, { op: "INSTANCE_CREATE", target: "a", input: {} }).id;
    finishJob(db, done, { result: null });
    db.prepare("UPDATE jobs SET pid = 1, pid_start = '0' WHERE id = ?").run(done);
    const worker = await start(["sleep", "1000"]);
    const dead = await jobOf(worker, "a");
    await kill(worker);

    const report = await recoverInterrupted(db);
    assert.deepEqual(report.jobs, [dead]);
    assert.equal(getJob(db, mine)?.status, "queued");
    assert.equal(getJob(db, done)?.status, "success");
    assert.ok(fs.existsSync(path.join(tmp, "mine")));
    assert.deepEqual(instanceState("a"), { install_state: "installed", last_error: null });
  });

  test("records it cannot trust are reported and logged, and the job is still marked", async () => {
    const worker = await start(["sleep", "1000"]);
    const id = await jobOf(worker, "x");
    const own = readProcStat(process.pid)!.pgrp;
    const bad = ["1:5", "0:5", "-5:1", "12x:3", `${process.pid}`, `${own}:${processStartTime(own) ?? 0}`];
    for (const value of bad) addJobResource(db, id, "pgid", value);
    addJobResource(db, id, "tempdir", "relative/dir");
    addJobResource(db, id, "tempdir", "/");
    await kill(worker);
    const report = await recoverInterrupted(db);
    const expected = [
      'Could not kill process group "1:5": not a valid process group record',
      'Could not kill process group "0:5": not a valid process group record',
      'Could not kill process group "-5:1": not a valid process group record',
      'Could not kill process group "12x:3": not a valid process group record',
      `Could not kill process group "${process.pid}": not a valid process group record`,
      `Could not kill process group ${own}: it is the recovering process's own`,
      'Could not remove "relative/dir": not an absolute temporary path',
      'Could not remove "/": not an absolute temporary path',
    ];
    assert.deepEqual(report.failed.slice().sort(), expected.slice().sort());
    assert.deepEqual(report.jobs, [id]);
    assert.deepEqual(report.killed, []);
    const log = jobLog(db, id).map((e) => e.text);
    assert.deepEqual(log.slice().sort(), [...expected, interrupted(id, worker.pid)].sort());
    assert.equal(log.at(-1), interrupted(id, worker.pid), "the interruption is the last line");
  });

  test("costs one query on the jobs_pending index when nothing is pending", async () => {
    const done = createJob(db, { op: "X", target: null, input: {} }).id;
    finishJob(db, done, { result: null });
    const prepared: string[] = [];
    const original = db.prepare.bind(db);
    db.prepare = (sql: string) => {
      prepared.push(sql);
      return original(sql);
    };
    try {
      assert.deepEqual((await recoverInterrupted(db)).jobs, []);
    } finally {
      db.prepare = original;
    }
    assert.equal(prepared.length, 1);
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${prepared[0]}`).all() as { detail: string }[];
    assert.deepEqual(
      plan.map((p) => p.detail),
      ["SEARCH jobs USING INDEX jobs_pending (status=?)"],
    );
  });

  test("two processes recovering at once handle each job once", async () => {
    const worker = await start(["sleep", "1000"]);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await jobOf(worker, `i${i}`, [`instance:i${i}`]);
      const dir = path.join(tmp, `d${i}`);
      fs.mkdirSync(dir);
      addJobResource(db, id, "tempdir", dir);
      ids.push(id);
    }
    await kill(worker);
    const mod = (name: string): string => JSON.stringify(new URL(`./${name}`, import.meta.url).href);
    const code = `
      import { once } from "node:events";
      const { openStore } = await import(${mod("store.ts")});
      const { recoverInterrupted } = await import(${mod("recovery.ts")});
      const db = openStore(${JSON.stringify(home)});
      process.stdout.write("ready\\n");
      await once(process.stdin, "data");
      process.stdout.write(JSON.stringify(await recoverInterrupted(db)) + "\\n");
      db.close();
    `;
    const procs = [0, 1].map(() => {
      const p = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
        cwd: ROOT,
        stdio: ["pipe", "pipe", "inherit"],
      });
      children.push(p);
      return { p, lines: createInterface({ input: p.stdout })[Symbol.asyncIterator]() };
    });
    for (const { lines } of procs) assert.equal((await lines.next()).value, "ready");
    for (const { p } of procs) p.stdin.write("go\n");
    const reports = [];
    for (const { lines } of procs)
      reports.push(JSON.parse((await lines.next()).value as string) as { jobs: number[] });
    const handled = reports.flatMap((r) => r.jobs).sort((a, b) => a - b);
    assert.deepEqual(handled, ids, JSON.stringify(reports));
    for (const id of ids) {
      assert.equal(getJob(db, id)?.status, "error");
      assert.equal(getJob(db, id)?.pid, worker.pid);
      assert.deepEqual(
        jobLog(db, id).map((e) => e.text),
        [interrupted(id, worker.pid)],
      );
    }
    for (let i = 0; i < 3; i++) assert.equal(fs.existsSync(path.join(tmp, `d${i}`)), false);
  });
});
