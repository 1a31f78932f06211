/**
 * `guestos job watch` following a job another process runs, `--print-jobid`, and `job info` of a running
 * and a finished job, as whole processes.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { makeSandbox, waitFor, type Sandbox } from "./sandbox.js";

const CTIME = /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} /;

describe("jobs seen from another process", () => {
  let sb: Sandbox;
  before(async () => {
    sb = await makeSandbox("guestos-jobs-");
    // create waits for a go file, so that the test can watch the job while it runs.
    await sb.writeOs("slow", {
      create: `touch ${sb.path("running")}\nwhile [ ! -e ${sb.path("go")} ]; do sleep 0.05; done\necho done\n`,
    });
  });
  after(() => sb.cleanup());

  test("watch prints the header, the log so far and new lines, and exits with the job", async () => {
    const add = sb.start([
      "instance",
      "add",
      "--print-jobid",
      "-o",
      "slow",
      "--disk",
      "0:size=4M",
      "w1.example.com",
    ]);
    await waitFor("create to start", () => existsSync(sb.path("running")), 30_000);
    const info = await sb.run(["job", "info", "1"]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /^- Job ID: 1\n {2}Status: running\n/);

    const watch = sb.start(["job", "watch", "1"]);
    await writeFile(sb.path("go"), "");
    const [added, watched] = await Promise.all([add.done, watch.done]);
    assert.equal(added.code, 0, added.stderr);
    assert.equal(added.stdout.split("\n")[0], "1", "--print-jobid prints the id first");

    assert.equal(watched.code, 0, watched.stderr);
    const lines = watched.stdout.trimEnd().split("\n");
    assert.deepEqual(lines.slice(0, 2), [
      "Output from job 1 follows",
      "-".repeat("Output from job 1 follows".length),
    ]);
    assert.ok(
      lines.slice(2).every((l) => CTIME.test(l)),
      watched.stdout,
    );
    assert.deepEqual(
      lines.slice(2).map((l) => l.replace(CTIME, "")),
      [
        "* creating instance disks...",
        "adding instance w1.example.com to cluster config",
        "adding disks to cluster config",
        "* running the instance OS create scripts...",
      ],
    );
  });

  test("watch of a failed job exits 1 with the error; of an unknown job, a clear error", async () => {
    await sb.writeOs("bad", { create: "echo nope >&2; exit 7\n" });
    const add = await sb.run(["instance", "add", "-o", "bad", "--disk", "0:size=4M", "w2.example.com"]);
    assert.equal(add.code, 1);
    const list = await sb.run(["job", "list", "--no-headers", "--error"]);
    const id = list.stdout.trim().split(/\s+/)[0]!;
    const watch = await sb.run(["job", "watch", id]);
    assert.equal(watch.code, 1);
    assert.ok(
      watch.stderr.startsWith(`Job ${id} failed: Could not add os for instance w2.example.com on node `),
      watch.stderr,
    );
    const unknown = await sb.run(["job", "watch", "999"]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, "Error: Job ID 999 not found\n");
    const info = await sb.run(["job", "info", "999"]);
    assert.deepEqual([info.code, info.stdout], [0, "- Job ID 999 not found\n"]);
    const bad = await sb.run(["job", "info", "x"]);
    assert.deepEqual([bad.code, bad.stderr], [1, "Error: Invalid job ID passed: x\n"]);
  });

  test("cancel: a job waiting for a lock is canceled and its process fails; a running one is not", async () => {
    await sb.writeOs("slow2", {
      create: `touch ${sb.path("running2")}\nwhile [ ! -e ${sb.path("go2")} ]; do sleep 0.05; done\n`,
    });
    const first = sb.start(["instance", "add", "-o", "slow2", "--disk", "0:size=4M", "c1.example.com"]);
    await waitFor("create to start", () => existsSync(sb.path("running2")), 30_000);
    const jobs = async () => (await sb.run(["job", "list", "--no-headers", "-o", "id,status"])).stdout;
    const running = (await jobs()).trim().split("\n").at(-1)!.trim().split(/\s+/)[0]!;
    const second = sb.start(["instance", "modify", "--wait", "-B", "vcpus=2", "c1.example.com"]);
    await waitFor("the second job to wait", async () => /waiting/.test(await jobs()), 30_000);
    const waiting = String(Number(running) + 1);

    const notNow = await sb.run(["job", "cancel", running]);
    assert.deepEqual([notNow.code, notNow.stdout], [1, `Job ${running} is no longer waiting in the queue\n`]);
    const cancel = await sb.run(["job", "cancel", waiting]);
    assert.deepEqual([cancel.code, cancel.stdout], [0, `Job ${waiting} will be canceled\n`]);
    const canceled = await second.done;
    assert.equal(canceled.code, 1);
    assert.match(canceled.stderr, /^Error: .*cancel/i);

    await writeFile(sb.path("go2"), "");
    assert.equal((await first.done).code, 0);
    const info = await sb.run(["job", "list", "--no-headers", "-o", "id,status", waiting]);
    assert.equal(info.stdout.trim().split(/\s+/)[1], "canceled");
  });
});
