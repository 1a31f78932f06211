import { spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";

import { isGuestosError } from "../errors.js";
import {
  addJobLogFile,
  addJobResource,
  appendJobLog,
  cancelJob,
  createJob,
  finishJob,
  getJob,
  jobLog,
  jobResources,
  listJobs,
  pgidResource,
  removeJobResource,
  setJobStatus,
  startJob,
} from "./jobs.js";
import { acquireLocks, heldLocks } from "./locks.js";
import { selfIdentity } from "./proc.js";
import { openStore, type Db } from "./store.js";

let home: string;
let db: Db;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "guestos-jobs-"));
  db = openStore(home);
});
afterEach(() => {
  db.close();
  fs.rmSync(home, { recursive: true, force: true });
});

function newJob(op = "INSTANCE_CREATE", target: string | null = "web1.example.com"): number {
  return createJob(db, { op, target, input: {} }).id;
}

function rejects(fn: () => unknown, code: string, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(isGuestosError(err), String(err));
    assert.equal(err.code, code);
    assert.equal(err.message, message);
    return true;
  });
}

describe("createJob, getJob, listJobs", () => {
  test("a new job is queued, stamped now, owned by this process, its input kept", () => {
    const before = Date.now() / 1000;
    const input = {
      instance_name: "web1.example.com",
      disks: [{ size: 1024 }],
      os_type: "noop",
      start: false,
    };
    const job = createJob(db, { op: "INSTANCE_CREATE", target: "web1.example.com", input });
    const after = Date.now() / 1000;
    const me = selfIdentity();
    assert.deepEqual(job, {
      id: job.id,
      op: "INSTANCE_CREATE",
      target: "web1.example.com",
      status: "queued",
      priority: 0,
      receivedTs: job.receivedTs,
      startTs: null,
      endTs: null,
      input,
      result: null,
      error: null,
      logFiles: [],
      pid: me.pid,
      pidStart: me.pidStart,
    });
    assert.ok(job.receivedTs >= before && job.receivedTs <= after);
    assert.deepEqual(getJob(db, job.id), job);
    assert.equal(getJob(db, job.id + 1), null);
  });

  test("priority: Ganeti's range -20..19", () => {
    assert.equal(createJob(db, { op: "X", target: null, input: {}, priority: -20 }).priority, -20);
    assert.equal(createJob(db, { op: "X", target: null, input: {}, priority: 19 }).priority, 19);
    rejects(
      () => createJob(db, { op: "X", target: null, input: {}, priority: 20 }),
      "JOB_PRIORITY",
      'Cannot create job "X": priority 20 is not an integer from -20 to 19',
    );
  });

  test("listJobs sorts by id and filters by ids and statuses", () => {
    const [a, b, c] = [newJob(), newJob(), newJob()] as [number, number, number];
    startJob(db, b);
    finishJob(db, c, { result: null });
    const ids = (jobs: { id: number }[]): number[] => jobs.map((j) => j.id);
    assert.deepEqual(ids(listJobs(db)), [a, b, c]);
    assert.deepEqual(ids(listJobs(db, { ids: [c, a, 999] })), [a, c]);
    assert.deepEqual(ids(listJobs(db, { statuses: ["running", "success"] })), [b, c]);
    assert.deepEqual(ids(listJobs(db, { ids: [a, b], statuses: ["queued"] })), [a]);
    assert.deepEqual(ids(listJobs(db, { ids: [] })), []);
  });
});

describe("status changes", () => {
  test("start, then finish with a result", () => {
    const id = newJob();
    const started = startJob(db, id);
    assert.equal(started.status, "running");
    assert.ok(started.startTs !== null && started.startTs >= started.receivedTs);
    rejects(() => startJob(db, id), "JOB_RUNNING", `Cannot start job ${id}: it is already running`);
    const done = finishJob(db, id, { result: ["node1.example.com"] });
    assert.equal(done.status, "success");
    assert.deepEqual(done.result, ["node1.example.com"]);
    assert.equal(done.error, null);
    assert.ok(done.endTs !== null && done.endTs >= started.startTs);
    rejects(
      () => finishJob(db, id, { result: 1 }),
      "JOB_FINISHED",
      `Cannot finish job ${id}: it has already ended (success)`,
    );
    rejects(() => startJob(db, id), "JOB_FINISHED", `Cannot start job ${id}: it has already ended (success)`);
  });

  test("finish with an error, at a given time", () => {
    const id = newJob();
    const error = { code: "OS_SCRIPT", message: "OS create script failed", hint: "see the log" };
    const done = finishJob(db, id, { error, now: 1700000000.5 });
    assert.equal(done.status, "error");
    assert.deepEqual(done.error, error);
    assert.equal(done.result, null);
    assert.equal(done.endTs, 1700000000.5);
  });

  test("finishing releases the job's locks and forgets its resources, and only its own", async () => {
    const [a, b] = [newJob(), newJob()] as [number, number];
    await acquireLocks(db, a, ["instance:a", "node-config"]);
    await acquireLocks(db, b, ["instance:b"]);
    addJobResource(db, a, "tempdir", "/tmp/a");
    addJobResource(db, b, "tempdir", "/tmp/b");
    finishJob(db, a, { result: null });
    assert.deepEqual(heldLocks(db, a), []);
    assert.deepEqual(jobResources(db, a), []);
    assert.deepEqual(heldLocks(db, b), ["instance:b"]);
    assert.deepEqual(jobResources(db, b), [{ kind: "tempdir", value: "/tmp/b" }]);
  });

  test("finishing is one transaction: when forgetting resources fails, nothing changes", async () => {
    const id = newJob();
    await acquireLocks(db, id, ["instance:a"]);
    startJob(db, id);
    addJobResource(db, id, "tempfile", "/tmp/x");
    db.exec(
      "CREATE TEMP TRIGGER no_delete BEFORE DELETE ON main.job_resources BEGIN SELECT RAISE(ABORT, 'nope'); END",
    );
    assert.throws(() => finishJob(db, id, { result: null }), /nope/);
    db.exec("DROP TRIGGER no_delete");
    assert.equal(getJob(db, id)?.status, "running");
    assert.deepEqual(heldLocks(db, id), ["instance:a"]);
    assert.deepEqual(jobResources(db, id), [{ kind: "tempfile", value: "/tmp/x" }]);
  });

  test("setJobStatus moves between pending statuses and returns the old one", () => {
    const id = newJob();
    assert.equal(setJobStatus(db, id, "waiting"), "queued");
    assert.equal(getJob(db, id)?.status, "waiting");
    assert.equal(setJobStatus(db, id, "queued"), "waiting");
    finishJob(db, id, { result: null });
    rejects(
      () => setJobStatus(db, id, "waiting"),
      "JOB_FINISHED",
      `Cannot update job ${id}: it has already ended (success)`,
    );
    rejects(() => setJobStatus(db, 999, "waiting"), "JOB_NOT_FOUND", "Cannot update job 999: no such job");
  });

  test("unknown jobs", () => {
    rejects(() => startJob(db, 42), "JOB_NOT_FOUND", "Cannot start job 42: no such job");
    rejects(() => finishJob(db, 42, { result: null }), "JOB_NOT_FOUND", "Cannot finish job 42: no such job");
  });
});

describe("cancelJob", () => {
  test("queued and waiting jobs cancel with Ganeti's messages; others do not", async () => {
    const queued = newJob();
    const waiting = newJob();
    const running = newJob();
    await acquireLocks(db, queued, ["instance:q"]);
    setJobStatus(db, waiting, "waiting");
    startJob(db, running);
    assert.deepEqual(cancelJob(db, queued), { canceled: true, message: `Job ${queued} canceled` });
    assert.deepEqual(cancelJob(db, waiting), { canceled: true, message: `Job ${waiting} will be canceled` });
    assert.deepEqual(cancelJob(db, running), {
      canceled: false,
      message: `Job ${running} is no longer waiting in the queue`,
    });
    assert.deepEqual(cancelJob(db, 999), { canceled: false, message: "Job 999 not found" });
    const job = getJob(db, queued)!;
    assert.equal(job.status, "canceled");
    assert.deepEqual(job.error, { code: "JOB_CANCELED", message: "Job canceled by request", hint: null });
    assert.ok(job.endTs !== null);
    assert.deepEqual(heldLocks(db, queued), [], "a canceled job's locks are released");
    assert.equal(getJob(db, running)?.status, "running");
  });

  test("the job's own process then cannot start it, and finishing it only cleans up", () => {
    const id = newJob();
    addJobResource(db, id, "tempfile", "/tmp/x");
    cancelJob(db, id);
    rejects(() => startJob(db, id), "JOB_CANCELED", `Cannot start job ${id}: it was canceled`);
    rejects(
      () => addJobResource(db, id, "tempfile", "/tmp/y"),
      "JOB_CANCELED",
      `Cannot record a resource of job ${id}: it was canceled`,
    );
    const after = finishJob(db, id, { error: { code: "JOB_CANCELED", message: "x", hint: null } });
    assert.equal(after.status, "canceled");
    assert.deepEqual(after.error, { code: "JOB_CANCELED", message: "Job canceled by request", hint: null });
    assert.deepEqual(jobResources(db, id), []);
  });
});

describe("job log", () => {
  test("seq counts per job; kinds, hints and times are kept; afterSeq pages", () => {
    const [a, b] = [newJob(), newJob()] as [number, number];
    const e1 = appendJobLog(db, a, "step", "* creating instance disks...");
    appendJobLog(db, b, "message", "other job");
    const e2 = appendJobLog(db, a, "info", "Resolved given name");
    const e3 = appendJobLog(db, a, "warning", "Could not run OS rename script", {
      hint: "check the log",
      now: 1.25,
    });
    assert.deepEqual(
      [e1, e2, e3].map((e) => [e.jobId, e.seq]),
      [
        [a, 1],
        [a, 2],
        [a, 3],
      ],
    );
    assert.deepEqual(e3, {
      jobId: a,
      seq: 3,
      ts: 1.25,
      kind: "warning",
      text: "Could not run OS rename script",
      hint: "check the log",
    });
    assert.equal(e1.hint, null);
    assert.deepEqual(jobLog(db, a), [e1, e2, e3]);
    assert.deepEqual(jobLog(db, a, { afterSeq: 1 }), [e2, e3]);
    assert.deepEqual(jobLog(db, a, { afterSeq: 3 }), []);
    assert.deepEqual(
      jobLog(db, b).map((e) => [e.seq, e.text]),
      [[1, "other job"]],
    );
    rejects(() => appendJobLog(db, 999, "info", "x"), "JOB_NOT_FOUND", "Cannot log to job 999: no such job");
  });

  test("log files are recorded in order", () => {
    const id = newJob();
    addJobLogFile(db, id, "/var/log/guestos/os/add-noop-web1-1.log");
    addJobLogFile(db, id, 'odd "name".log');
    assert.deepEqual(getJob(db, id)?.logFiles, ["/var/log/guestos/os/add-noop-web1-1.log", 'odd "name".log']);
    rejects(
      () => addJobLogFile(db, 999, "x"),
      "JOB_NOT_FOUND",
      "Cannot record a log file of job 999: no such job",
    );
  });
});

describe("resources", () => {
  test("added once, removed, listed in order", () => {
    const id = newJob();
    addJobResource(db, id, "loopfile", "/srv/web1.img");
    addJobResource(db, id, "pgid", "1234:5678");
    addJobResource(db, id, "loopfile", "/srv/web1.img");
    assert.deepEqual(jobResources(db, id), [
      { kind: "loopfile", value: "/srv/web1.img" },
      { kind: "pgid", value: "1234:5678" },
    ]);
    removeJobResource(db, id, "loopfile", "/srv/web1.img");
    assert.deepEqual(jobResources(db, id), [{ kind: "pgid", value: "1234:5678" }]);
    rejects(
      () => addJobResource(db, 999, "tempdir", "/x"),
      "JOB_NOT_FOUND",
      "Cannot record a resource of job 999: no such job",
    );
  });

  test("pgidResource pairs a live group leader with its start time", async () => {
    const child = spawn("sleep", ["1000"], { detached: true, stdio: "ignore" });
    await once(child, "spawn");
    try {
      const value = pgidResource(child.pid!);
      assert.match(value ?? "", new RegExp(`^${child.pid}:\\d+$`));
    } finally {
      child.kill("SIGKILL");
    }
    await once(child, "exit");
    assert.equal(pgidResource(child.pid!), null);
  });
});

describe("store errors", () => {
  test("a read-only store gives STORE_READONLY, not a raw SQLite error", () => {
    const id = newJob();
    db.pragma("query_only = ON");
    assert.throws(
      () => startJob(db, id),
      (err: unknown) =>
        isGuestosError(err, "STORE_READONLY") &&
        err.message.startsWith("Cannot update the store: the store is read-only"),
    );
  });
});
