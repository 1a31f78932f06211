import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";

import { GuestosError, isGuestosError } from "../errors.js";
import { cancelJob, createJob, finishJob, getJob, jobLog, startJob } from "./jobs.js";
import { acquireLocks, describeLock, heldLocks, releaseLocks } from "./locks.js";
import { processStartTime } from "./proc.js";
import { openStore, type Db } from "./store.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const children: ChildProcess[] = [];
let home: string;
let db: Db;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "guestos-locks-"));
  db = openStore(home);
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  db.close();
  fs.rmSync(home, { recursive: true, force: true });
});

function newJob(op = "INSTANCE_CREATE", target: string | null = "web1.example.com"): number {
  return createJob(db, { op, target, input: {} }).id;
}

/** Make job `id` look owned by process `pid` started at `start`. */
function ownJobBy(id: number, pid: number, start: string | null): void {
  db.prepare("UPDATE jobs SET pid = ?, pid_start = ? WHERE id = ?").run(pid, start, id);
}

/** The pid and start time of a process that has ended. */
async function deadIdentity(): Promise<{ pid: number; start: string }> {
  const child = spawn("sleep", ["1000"], { stdio: "ignore" });
  await once(child, "spawn");
  const start = processStartTime(child.pid!)!;
  child.kill("SIGKILL");
  await once(child, "exit");
  return { pid: child.pid!, start };
}

async function lockError(p: Promise<unknown>): Promise<GuestosError> {
  try {
    await p;
  } catch (err) {
    assert.ok(isGuestosError(err), String(err));
    return err;
  }
  assert.fail("expected the lock to fail");
}

/** Poll the store until `cond` holds (the test runner's timeout bounds it). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

describe("describeLock", () => {
  test("names what a lock locks", () => {
    assert.equal(describeLock("instance:web1.example.com"), 'instance "web1.example.com"');
    assert.equal(describeLock("node-config"), "the node configuration");
    assert.equal(describeLock("os:debian+default"), 'os "debian+default"');
    assert.equal(describeLock("misc"), '"misc"');
  });
});

describe("acquireLocks without --wait", () => {
  test("a lock held by a live job fails at once, naming the holder", async () => {
    const holder = newJob("INSTANCE_CREATE");
    await acquireLocks(db, holder, ["instance:web1"]);
    const other = newJob("INSTANCE_REINSTALL");
    const err = await lockError(acquireLocks(db, other, ["instance:web1"]));
    assert.equal(err.code, "LOCKED");
    assert.equal(err.message, `Cannot lock instance "web1": job ${holder} (INSTANCE_CREATE) holds it`);
    assert.equal(err.hint, `wait for it with "guestos job watch ${holder}", or pass --wait`);
    assert.equal(getJob(db, other)?.status, "queued", "a failed try does not mark the job waiting");

    const cfg = newJob("CLUSTER_SET_PARAMS", null);
    await acquireLocks(db, cfg, ["node-config"]);
    const err2 = await lockError(acquireLocks(db, other, ["node-config"]));
    assert.equal(
      err2.message,
      `Cannot lock the node configuration: job ${cfg} (CLUSTER_SET_PARAMS) holds it`,
    );
  });

  test("all or nothing: a busy name leaves the free ones untaken", async () => {
    const holder = newJob();
    await acquireLocks(db, holder, ["instance:b"]);
    const other = newJob();
    await lockError(acquireLocks(db, other, ["instance:a", "instance:b", "node-config"]));
    assert.deepEqual(heldLocks(db, other), []);
    const third = newJob();
    await acquireLocks(db, third, ["instance:a", "node-config"]);
    assert.deepEqual(heldLocks(db, third), ["instance:a", "node-config"]);
  });

  test("taking a lock again is a no-op; releaseLocks frees them all", async () => {
    const id = newJob();
    await acquireLocks(db, id, ["instance:a", "instance:a"]);
    await acquireLocks(db, id, ["instance:a", "instance:b"]);
    assert.deepEqual(heldLocks(db, id), ["instance:a", "instance:b"]);
    releaseLocks(db, id);
    assert.deepEqual(heldLocks(db, id), []);
    const other = newJob();
    await acquireLocks(db, other, ["instance:a"]);
  });

  test("a job that has ended or does not exist cannot lock", async () => {
    const id = newJob();
    finishJob(db, id, { result: null });
    const err = await lockError(acquireLocks(db, id, ["instance:a"]));
    assert.equal(err.code, "JOB_FINISHED");
    assert.equal(err.message, `Cannot acquire locks for job ${id}: it has already ended (success)`);
    const err2 = await lockError(acquireLocks(db, 999, ["instance:a"]));
    assert.equal(err2.message, "Cannot acquire locks for job 999: no such job");
    const err3 = await lockError(acquireLocks(db, newJob(), [""]));
    assert.equal(err3.code, "LOCK_NAME");
  });
});

describe("acquireLocks with --wait", () => {
  test("waits (status waiting) until the holder finishes, then takes the lock and gets its status back", async () => {
    const holder = newJob();
    await acquireLocks(db, holder, ["instance:web1"]);
    const waiter = newJob();
    let settled = false;
    const p = acquireLocks(db, waiter, ["instance:web1", "node-config"], { wait: true, pollMs: 5 }).finally(
      () => {
        settled = true;
      },
    );
    await until(() => getJob(db, waiter)?.status === "waiting");
    assert.equal(settled, false);
    assert.deepEqual(heldLocks(db, waiter), [], "nothing is held while waiting");
    finishJob(db, holder, { result: null });
    await p;
    assert.equal(getJob(db, waiter)?.status, "queued");
    assert.deepEqual(heldLocks(db, waiter), ["instance:web1", "node-config"]);
  });

  test("a running job that waits for more locks is running again afterwards, start time kept", async () => {
    const holder = newJob();
    await acquireLocks(db, holder, ["instance:b"]);
    const job = newJob();
    const started = startJob(db, job);
    const p = acquireLocks(db, job, ["instance:b"], { wait: true, pollMs: 5 });
    await until(() => getJob(db, job)?.status === "waiting");
    releaseLocks(db, holder);
    await p;
    assert.equal(getJob(db, job)?.status, "running");
    assert.equal(getJob(db, job)?.startTs, started.startTs);
  });

  test("aborting the signal stops waiting, rejects with its reason and restores the status", async () => {
    const holder = newJob();
    await acquireLocks(db, holder, ["instance:a"]);
    const waiter = newJob();
    const ac = new AbortController();
    const p = acquireLocks(db, waiter, ["instance:a", "instance:z"], {
      wait: true,
      signal: ac.signal,
      pollMs: 10_000,
    });
    await until(() => getJob(db, waiter)?.status === "waiting");
    const reason = new Error("interrupted by the user");
    ac.abort(reason);
    await assert.rejects(p, (err) => err === reason);
    assert.equal(getJob(db, waiter)?.status, "queued");
    assert.deepEqual(heldLocks(db, waiter), []);
    // An already aborted signal rejects before touching anything.
    await assert.rejects(
      acquireLocks(db, waiter, ["instance:z"], { signal: AbortSignal.abort(reason) }),
      (e) => e === reason,
    );
    assert.deepEqual(heldLocks(db, waiter), []);
  });

  test("a job canceled while it waits stops waiting with JOB_CANCELED", async () => {
    const holder = newJob();
    await acquireLocks(db, holder, ["instance:a"]);
    const waiter = newJob();
    const p = acquireLocks(db, waiter, ["instance:a"], { wait: true, pollMs: 5 });
    await until(() => getJob(db, waiter)?.status === "waiting");
    assert.equal(cancelJob(db, waiter).message, `Job ${waiter} will be canceled`);
    const err = await lockError(p);
    assert.equal(err.code, "JOB_CANCELED");
    assert.equal(err.message, `Cannot acquire locks for job ${waiter}: it was canceled`);
    assert.equal(getJob(db, waiter)?.status, "canceled");
  });
});

describe("stale locks", () => {
  test("a lock whose holder's process is dead is taken over, the holder marked interrupted", async () => {
    db.prepare(
      `INSERT INTO instances (uuid, name, os, hypervisor, disk_template, install_state, ctime, mtime)
       VALUES ('u1', 'web1.example.com', 'noop', 'fake', 'diskless', 'pending', 1, 1)`,
    ).run();
    const holder = newJob("INSTANCE_CREATE", "web1.example.com");
    await acquireLocks(db, holder, ["instance:web1.example.com", "node-config"]);
    startJob(db, holder);
    const dead = await deadIdentity();
    ownJobBy(holder, dead.pid, dead.start);

    const taker = newJob("INSTANCE_REMOVE", "web1.example.com");
    await acquireLocks(db, taker, ["instance:web1.example.com"]);
    assert.deepEqual(heldLocks(db, taker), ["instance:web1.example.com"]);
    assert.deepEqual(heldLocks(db, holder), [], "all the dead job's locks are released");
    const message = `Job ${holder} was interrupted: its process ${dead.pid} ended before the job finished`;
    const job = getJob(db, holder)!;
    assert.equal(job.status, "error");
    assert.deepEqual(job.error, { code: "JOB_INTERRUPTED", message, hint: null });
    assert.equal(job.pid, dead.pid, "the job still names the process that died");
    assert.deepEqual(
      jobLog(db, holder).map((e) => [e.kind, e.text]),
      [["warning", message]],
    );
    assert.deepEqual(
      db.prepare("SELECT install_state, last_error FROM instances WHERE name = 'web1.example.com'").get(),
      { install_state: "failed", last_error: message },
    );
  });

  test("pid reuse: a live process with the holder's pid but another start time is not the holder", async () => {
    const holder = newJob();
    await acquireLocks(db, holder, ["instance:a"]);
    ownJobBy(holder, process.pid, `${processStartTime(process.pid)}0`);
    const taker = newJob();
    await acquireLocks(db, taker, ["instance:a"]);
    assert.equal(getJob(db, holder)?.status, "error");
    assert.equal(getJob(db, holder)?.error?.code, "JOB_INTERRUPTED");
  });

  test("a live holder in another process keeps its lock", async () => {
    const child = spawn("sleep", ["1000"], { stdio: "ignore" });
    children.push(child);
    await once(child, "spawn");
    const holder = newJob();
    await acquireLocks(db, holder, ["instance:a"]);
    ownJobBy(holder, child.pid!, processStartTime(child.pid!));
    const err = await lockError(acquireLocks(db, newJob(), ["instance:a"]));
    assert.equal(err.code, "LOCKED");
    assert.equal(getJob(db, holder)?.status, "queued");
  });

  test("a leftover lock of a finished job is simply taken", async () => {
    const old = newJob();
    finishJob(db, old, { result: null });
    db.prepare("INSERT INTO locks (name, job_id, acquired_ts) VALUES ('instance:a', ?, 1)").run(old);
    const taker = newJob();
    await acquireLocks(db, taker, ["instance:a"]);
    assert.deepEqual(heldLocks(db, taker), ["instance:a"]);
    assert.equal(getJob(db, old)?.status, "success");
  });
});

/** A child process speaking JSON lines. */
function jsonChild(code: string): { proc: ChildProcess; next: () => Promise<Record<string, unknown>> } {
  const proc = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "inherit"],
  });
  children.push(proc);
  const lines: AsyncIterator<string> = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  return {
    proc,
    next: async () => {
      const line = await lines.next();
      if (line.done) throw new Error("the child ended early");
      return JSON.parse(line.value) as Record<string, unknown>;
    },
  };
}

describe("two processes", () => {
  test("race for one lock: exactly one wins, the other is told which job holds it", async () => {
    const mod = (name: string): string => JSON.stringify(new URL(`./${name}`, import.meta.url).href);
    const code = `
      import { once } from "node:events";
      const { openStore } = await import(${mod("store.ts")});
      const { createJob } = await import(${mod("jobs.ts")});
      const { acquireLocks } = await import(${mod("locks.ts")});
      const db = openStore(${JSON.stringify(home)});
      const job = createJob(db, { op: "INSTANCE_CREATE", target: "x", input: {} });
      const say = (o) => process.stdout.write(JSON.stringify(o) + "\\n");
      say({ ready: job.id });
      await once(process.stdin, "data");
      try {
        await acquireLocks(db, job.id, ["instance:x"]);
        say({ won: job.id });
      } catch (e) {
        say({ code: e.code, message: e.message, hint: e.hint });
      }
      // Hold the lock (and stay alive) until the test is done with us.
      process.stdin.resume();
      await once(process.stdin, "end");
    `;
    const a = jsonChild(code);
    const b = jsonChild(code);
    const ids = [(await a.next()).ready, (await b.next()).ready] as number[];
    a.proc.stdin!.write("go\n");
    b.proc.stdin!.write("go\n");
    const results = [await a.next(), await b.next()];
    const winners = results.filter((r) => "won" in r);
    const losers = results.filter((r) => "code" in r);
    assert.equal(winners.length, 1, JSON.stringify(results));
    assert.equal(losers.length, 1, JSON.stringify(results));
    const winner = winners[0]!.won as number;
    assert.ok(ids.includes(winner));
    assert.deepEqual(losers[0], {
      code: "LOCKED",
      message: `Cannot lock instance "x": job ${winner} (INSTANCE_CREATE) holds it`,
      hint: `wait for it with "guestos job watch ${winner}", or pass --wait`,
    });
    assert.deepEqual(heldLocks(db, winner), ["instance:x"]);
    for (const c of [a, b]) c.proc.stdin!.end();
    await Promise.all([once(a.proc, "exit"), once(b.proc, "exit")]);
    assert.deepEqual([a.proc.exitCode, b.proc.exitCode], [0, 0]);
  });
});
