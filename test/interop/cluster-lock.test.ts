import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { acquireLock, ownerAlive, procStartTime, type LockInfo } from "./cluster-lock.js";

describe("the test cluster's lock", () => {
  let dir: string;
  let n = 0;
  const lockPath = () => join(dir, `lock${n++}`);
  const noStale = () => Promise.reject(new Error("onStale must not run"));
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "guestos-lock-test-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** A pid that is certainly gone: a child that has exited and been reaped. */
  function deadPid(): number {
    return Number(execFileSync("/bin/sh", ["-c", "echo $$"], { encoding: "utf8" }).trim());
  }

  test("records its owner and what it adds, and release removes it", async () => {
    const path = lockPath();
    const lock = await acquireLock(path, { timeoutMs: 1000, onStale: noStale });
    const info = JSON.parse(await readFile(path, "utf8")) as LockInfo;
    assert.deepEqual(info, { pid: process.pid, pidStart: procStartTime(process.pid) });
    assert.ok(ownerAlive(info));
    lock.update({ root: "/tmp/x" });
    assert.deepEqual(JSON.parse(await readFile(path, "utf8")), { ...info, root: "/tmp/x" });
    lock.release();
    assert.ok(!existsSync(path));
    lock.release();
  });

  test("waits for a live owner, then gives up naming it", async () => {
    const path = lockPath();
    const lock = await acquireLock(path, { timeoutMs: 1000, onStale: noStale });
    await assert.rejects(acquireLock(path, { timeoutMs: 300, onStale: noStale }), {
      message: `Cannot take lock "${path}": held by pid ${process.pid} for more than 300 ms`,
    });
    lock.release();
  });

  test("is taken as soon as its owner releases it", async () => {
    const path = lockPath();
    const first = await acquireLock(path, { timeoutMs: 1000, onStale: noStale });
    const second = acquireLock(path, { timeoutMs: 10_000, onStale: noStale });
    setTimeout(() => first.release(), 300);
    (await second).release();
  });

  test("hands a dead owner's record to onStale, then takes the lock", async () => {
    const path = lockPath();
    const record = { pid: deadPid(), pidStart: "1", root: "/tmp/guestos-gnt-dead" };
    await writeFile(path, JSON.stringify(record));
    const seen: LockInfo[] = [];
    const lock = await acquireLock(path, {
      timeoutMs: 1000,
      onStale: (info) => {
        seen.push(info);
        return Promise.resolve();
      },
    });
    assert.deepEqual(seen, [record]);
    assert.equal((JSON.parse(await readFile(path, "utf8")) as LockInfo).pid, process.pid);
    assert.ok(!existsSync(`${path}.break`));
    lock.release();
  });

  test("a live pid with another start time is a dead owner (the pid was reused)", async () => {
    const path = lockPath();
    await writeFile(path, JSON.stringify({ pid: process.pid, pidStart: "0" }));
    let stale = 0;
    const lock = await acquireLock(path, { timeoutMs: 1000, onStale: () => Promise.resolve(void stale++) });
    assert.equal(stale, 1);
    lock.release();
  });

  test("an unreadable record is being written while young, and stale when old", async () => {
    const path = lockPath();
    await writeFile(path, "");
    await assert.rejects(acquireLock(path, { timeoutMs: 300, onStale: noStale }), /held by pid \?/);
    const old = new Date(Date.now() - 60_000);
    await utimes(path, old, old);
    const lock = await acquireLock(path, { timeoutMs: 1000, onStale: noStale });
    lock.release();
  });
});
