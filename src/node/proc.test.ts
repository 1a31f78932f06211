import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";

import {
  groupMembers,
  isProcessAlive,
  parseProcStat,
  processStartTime,
  readProcStat,
  selfIdentity,
} from "./proc.js";

let dir: string;
const children: ChildProcess[] = [];
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "guestos-proc-"));
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function track(c: ChildProcess): ChildProcess & { pid: number } {
  children.push(c);
  assert.ok(c.pid);
  return c as ChildProcess & { pid: number };
}

/** A stat line as the kernel writes it, with the given comm and fields from 3 on. */
function statLine(pid: number, comm: string, rest: string[]): string {
  return `${pid} (${comm}) ${rest.join(" ")}\n`;
}

/** Fields 3..52 of a plausible stat line, with state, ppid, pgrp and starttime set. */
function restFields(state: string, ppid: number, pgrp: number, start: string): string[] {
  const rest = Array.from({ length: 50 }, (_, i) => String(i + 100));
  rest[0] = state;
  rest[1] = String(ppid);
  rest[2] = String(pgrp);
  rest[19] = start;
  return rest;
}

describe("parseProcStat", () => {
  test("reads this process's own stat", () => {
    const stat = parseProcStat(fs.readFileSync("/proc/self/stat", "latin1"));
    assert.ok(stat);
    assert.equal(stat.pid, process.pid);
    assert.equal(stat.ppid, process.ppid);
    assert.match(stat.startTime, /^\d+$/);
  });

  test("field 22 is found whatever the comm holds (spaces, parentheses, digits)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4194304 }),
        fc.string({
          unit: fc.constantFrom("a", " ", "(", ")", "1", ") (", "x)", "\n"),
          minLength: 1,
          maxLength: 16,
        }),
        fc.constantFrom("R", "S", "D", "Z", "T"),
        fc.integer({ min: 0, max: 4194304 }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (pid, comm, state, pgrp, start) => {
          const parsed = parseProcStat(statLine(pid, comm, restFields(state, 1, pgrp, String(start))));
          assert.deepEqual(parsed, { pid, comm, state, ppid: 1, pgrp, startTime: String(start) });
        },
      ),
    );
  });

  test("rejects text that is not a stat line", () => {
    for (const text of ["", "12", "12 (x", "x (y) S 1 2", "12 (comm) S 1 2 3", "-1 (a) S"]) {
      assert.equal(parseProcStat(text), null, JSON.stringify(text));
    }
  });
});

describe("processStartTime and isProcessAlive", () => {
  test("a real process whose comm has spaces and parentheses", async () => {
    const exe = path.join(dir, "a) (b c");
    fs.symlinkSync("/bin/sleep", exe);
    const child = track(spawn(exe, ["1000"], { stdio: "ignore" }));
    await once(child, "spawn");
    // The comm is set at exec: wait until the child is no longer node's pre-exec fork.
    let stat = readProcStat(child.pid);
    while (stat?.comm !== "a) (b c") {
      await new Promise((r) => setTimeout(r, 5));
      stat = readProcStat(child.pid);
    }
    assert.equal(stat.ppid, process.pid);
    const start = processStartTime(child.pid);
    assert.equal(start, stat.startTime);
    assert.ok(BigInt(start) >= BigInt(selfIdentity().pidStart!));
    assert.equal(isProcessAlive(child.pid, start), true);
    assert.equal(isProcessAlive(child.pid, `${start}1`), false, "same pid, other start time: a reused pid");
    child.kill("SIGKILL");
    await once(child, "exit");
    assert.equal(processStartTime(child.pid), null);
    assert.equal(isProcessAlive(child.pid, start), false);
  });

  test("a zombie is not alive, though its stat is still there", async () => {
    const child = track(
      spawn(
        "/usr/bin/python3",
        [
          "-c",
          "import os, sys, time\npid = os.fork()\nif pid == 0: os._exit(0)\nprint(pid, flush=True)\ntime.sleep(1000)",
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      ),
    );
    const [data] = (await once(child.stdout!, "data")) as [Buffer];
    const zombie = Number(data.toString().trim());
    let stat = readProcStat(zombie);
    while (stat?.state !== "Z") {
      await new Promise((r) => setTimeout(r, 5));
      stat = readProcStat(zombie);
    }
    assert.equal(processStartTime(zombie), stat.startTime);
    assert.equal(isProcessAlive(zombie, stat.startTime), false);
    assert.equal(isProcessAlive(zombie, null), false);
  });

  test("no process, bad pids, unknown start time", () => {
    assert.equal(processStartTime(0), null);
    assert.equal(processStartTime(-1), null);
    assert.equal(processStartTime(1.5), null);
    assert.equal(processStartTime(2 ** 31), null);
    assert.equal(isProcessAlive(null, null), false);
    assert.equal(isProcessAlive(2 ** 31, null), false);
    // Without a recorded start time, existence is all that can be checked.
    assert.equal(isProcessAlive(process.pid, null), true);
  });

  test("selfIdentity is this process", () => {
    const me = selfIdentity();
    assert.deepEqual(me, { pid: process.pid, pidStart: processStartTime(process.pid) });
    assert.equal(isProcessAlive(me.pid, me.pidStart), true);
  });
});

describe("groupMembers", () => {
  test("lists a detached leader and the child it left in its group", async () => {
    const leader = track(
      spawn(
        process.execPath,
        [
          "-e",
          "const c = require('node:child_process').spawn('sleep', ['1000'], { stdio: 'ignore' }); console.log(c.pid); setInterval(() => {}, 1e6);",
        ],
        { detached: true, stdio: ["ignore", "pipe", "inherit"] },
      ),
    );
    const [data] = (await once(leader.stdout!, "data")) as [Buffer];
    const member = Number(data.toString().trim());
    try {
      assert.deepEqual(
        groupMembers(leader.pid).sort((a, b) => a - b),
        [leader.pid, member].sort((a, b) => a - b),
      );
    } finally {
      process.kill(-leader.pid, "SIGKILL");
    }
    await once(leader, "exit");
    while (groupMembers(leader.pid).length > 0) await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(groupMembers(leader.pid), []);
  });
});
