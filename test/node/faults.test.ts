/**
 * Faults around `guestos instance` jobs, as whole processes: guestos killed with SIGKILL in the middle of a
 * create (recovery at the next start), create scripts that fail or hang, two processes racing for one
 * instance, a disk deleted behind guestos's back, and a full filesystem under the home.
 */
import { after, afterEach, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, statSync, statfsSync } from "node:fs";
import { mkdir, rm, truncate, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import type { CliResult } from "../interop/cli.js";
import {
  assertNothingLeft,
  groupMembers,
  hasStackTrace,
  IS_ROOT,
  isGone,
  loopsOf,
  makeSandbox,
  onlyFile,
  sq,
  waitFor,
  type Sandbox,
  type Spawned,
} from "./sandbox.js";

const run = promisify(execFile);
const HOST = hostname();
const SKIP = IS_ROOT ? false : "needs root (loop devices, mounts)";

/** `instance list` as `name|install` lines. */
async function installStates(sb: Sandbox, home?: string): Promise<string> {
  const r = await sb.run(
    ["instance", "list", "--no-headers", "--separator", "|", "-o", "name,install"],
    home ? { home } : {},
  );
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** `job list` as `id|status|summary` lines. */
async function jobRows(sb: Sandbox, home?: string): Promise<string> {
  const r = await sb.run(
    ["job", "list", "--no-headers", "--separator", "|", "-o", "id,status,summary"],
    home ? { home } : {},
  );
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** The instance's only disk file. */
const diskOf = (sb: Sandbox, name: string, home = sb.home): string =>
  onlyFile(join(home, "file-storage", name));

/** Wait until the script wrote `file` (it runs), failing early with guestos's output if guestos ended first. */
async function waitForScript(sb: Sandbox, proc: Spawned, file = "running"): Promise<string[]> {
  let ended: CliResult | null = null;
  void proc.done.then((r) => (ended = r));
  await waitFor(`the script to write ${file}`, () => {
    if (ended) throw new Error(`guestos ended first: ${JSON.stringify(ended)}`);
    return existsSync(sb.path(file));
  });
  return readFileSync(sb.path(file), "utf8").trim().split(" ");
}

/**
 * A create script that attaches its disk to a loop device, makes a temp file, says it runs (pid, device,
 * temp file), then waits for the `go` flag. On SIGTERM it either cleans up and exits, or ignores it.
 */
function slowCreate(sb: Sandbox, onTerm: "cleanup" | "ignore"): string {
  const f = (n: string): string => sq(sb.path(n));
  return [
    `echo "$INSTANCE_NAME reinstall=\${INSTANCE_REINSTALL:-0}" >> ${f("runs")}`,
    'dev=$(losetup --show -f "$DISK_0_PATH") || exit 1',
    `tmp=$(mktemp ${f("script-tmp.XXXXXX")})`,
    onTerm === "cleanup" ? `trap 'losetup -d "$dev"; rm -f "$tmp"; exit 143' TERM` : "trap '' TERM",
    `echo "$$ $dev $tmp" > ${f("running.tmp")} && mv ${f("running.tmp")} ${f("running")}`,
    `while [ ! -e ${f("go")} ]; do sleep 0.1; done`,
    'losetup -d "$dev"',
    'rm -f "$tmp"',
    'echo "installed $INSTANCE_NAME"',
    "",
  ].join("\n");
}

const runsOf = (sb: Sandbox): string[] =>
  existsSync(sb.path("runs")) ? readFileSync(sb.path("runs"), "utf8").trim().split("\n") : [];

describe("instance jobs under faults", { skip: SKIP }, () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await makeSandbox();
  });
  afterEach(async () => {
    const root = sb.root;
    await sb.cleanup();
    await assertNothingLeft(root);
  });

  for (const onTerm of ["cleanup", "ignore"] as const) {
    test(`SIGKILL of guestos during create: the next command recovers (script ${onTerm === "cleanup" ? "cleans up on TERM" : "ignores TERM"})`, async () => {
      await sb.writeOs("slow", { create: slowCreate(sb, onTerm) });
      const add = sb.start(["instance", "add", "-o", "slow", "--disk", "0:size=4M", "k1"]);
      const [pidText, dev, tmp] = await waitForScript(sb, add);
      const scriptPid = Number(pidText);
      sb.track(scriptPid);
      const disk = diskOf(sb, "k1");

      process.kill(add.pid, "SIGKILL");
      assert.equal((await add.done).code, null);
      // The script lives on, orphaned, in its own process group, with its loop device attached.
      assert.equal(isGone(scriptPid), false);
      assert.deepEqual(await loopsOf(disk), [dev]);

      // Any command opens the node and recovers the job.
      assert.equal(await jobRows(sb), "1|error|INSTANCE_CREATE(k1)\n");
      const interrupted = `Job 1 was interrupted: its process ${add.pid} ended before the job finished`;
      const info = await sb.run(["job", "info", "1"]);
      assert.equal(info.code, 0, info.stderr);
      assert.ok(info.stdout.includes(interrupted), info.stdout);
      const json = await sb.run(["job", "list", "--json", "1"]);
      const [job] = JSON.parse(json.stdout) as { status: string; error: { code: string; message: string } }[];
      assert.deepEqual(
        [job!.status, job!.error.code, job!.error.message],
        ["error", "JOB_INTERRUPTED", interrupted],
      );

      assert.equal(isGone(scriptPid), true);
      assert.deepEqual(groupMembers(scriptPid), []);
      assert.deepEqual(await loopsOf(disk), []);
      if (onTerm === "cleanup") {
        assert.equal(existsSync(tmp!), false, "the script's TERM trap ran (TERM came before KILL)");
      } else {
        // guestos cannot know what a killed script made: its temp file stays.
        assert.equal(existsSync(tmp!), true);
      }

      assert.equal(await installStates(sb), "k1|failed\n");
      const shown = await sb.run(["instance", "info", "k1"]);
      assert.equal(shown.code, 0, shown.stderr);
      assert.match(shown.stdout, /Install state: failed\n/);
      assert.ok(shown.stdout.includes(`Last error: ${interrupted}\n`), shown.stdout);

      await writeFile(sb.path("go"), "");
      if (onTerm === "cleanup") {
        const re = await sb.run(["instance", "reinstall", "-f", "k1"]);
        assert.equal(re.code, 0, re.stderr);
        assert.deepEqual(runsOf(sb), ["k1 reinstall=0", "k1 reinstall=1"]);
        assert.equal(await installStates(sb), "k1|installed\n");
        assert.deepEqual(await loopsOf(disk), []);
        const again = await sb.run(["instance", "info", "k1"]);
        assert.doesNotMatch(again.stdout, /Last error/);
      }
      const rm1 = await sb.run(["instance", "remove", "-f", "k1"]);
      assert.equal(rm1.code, 0, rm1.stderr);
      assert.equal(existsSync(join(sb.home, "file-storage", "k1")), false);
      assert.equal(await installStates(sb), "");
      const rows = (await jobRows(sb)).trim().split("\n");
      assert.equal(rows.at(-1), `${rows.length}|success|INSTANCE_REMOVE(k1)`);
    });
  }

  test("a failing create script: Ganeti's message with the log tail; the instance stays, failed; reinstall fixes it", async () => {
    const failing = [
      "echo first line",
      "echo second line on stderr >&2",
      "printf 'a\\ttab\\n'",
      "echo last line",
      "exit 3",
      "",
    ].join("\n");
    await sb.writeOs("failing", { create: failing });
    const add = await sb.run(["instance", "add", "-o", "failing", "--disk", "0:size=4M", "f1"]);
    assert.equal(add.code, 1);
    const log = onlyFile(join(sb.home, "log", "os"));
    assert.match(basename(log), /^add-failing-f1-\d{4}-\d\d-\d\d_\d\d_\d\d_\d\d\.log$/);
    const message =
      `Could not add os for instance f1 on node ${HOST}: OS create script failed (exited with exit code 3), ` +
      "last lines in the log file:\nfirst line\nsecond line on stderr\na\\ttab\nlast line";
    assert.equal(
      add.stderr,
      `Error: ${message}\n` +
        'Hint: the instance is kept with its disks; retry with "guestos instance reinstall f1" or delete it with ' +
        `"guestos instance remove f1"; the whole log is in ${log}\n`,
    );

    assert.equal(await installStates(sb), "f1|failed\n");
    assert.equal(statSync(diskOf(sb, "f1")).size, 4 * 2 ** 20);
    assert.equal(await jobRows(sb), "1|error|INSTANCE_CREATE(f1)\n");
    const json = await sb.run(["job", "list", "--json", "1"]);
    const [job] = JSON.parse(json.stdout) as { error: { code: string; message: string } }[];
    assert.deepEqual([job!.error.code, job!.error.message], ["SCRIPT_FAILED", message]);
    const info = await sb.run(["instance", "info", "f1"]);
    assert.ok(
      info.stdout.includes(`Last error: Could not add os for instance f1 on node ${HOST}: OS create`),
      info.stdout,
    );

    await sb.writeOs("failing", {
      create: `echo "reinstall=$INSTANCE_REINSTALL" > ${sq(sb.path("fixed"))}\n`,
    });
    const re = await sb.run(["instance", "reinstall", "-f", "f1"]);
    assert.equal(re.code, 0, re.stderr);
    assert.equal(readFileSync(sb.path("fixed"), "utf8"), "reinstall=1\n");
    assert.equal(await installStates(sb), "f1|installed\n");
    assert.equal(await jobRows(sb), "1|error|INSTANCE_CREATE(f1)\n2|success|INSTANCE_REINSTALL(f1)\n");
  });

  for (const onTerm of ["exit", "ignore"] as const) {
    test(`a create script hanging past --timeout 1 is killed with its process group (${onTerm === "exit" ? "dies on TERM" : "ignores TERM"})`, async () => {
      const hang = [
        onTerm === "ignore" ? "trap '' TERM" : "",
        'dev=$(losetup --show -f "$DISK_0_PATH") || exit 1',
        "sleep 1000 &",
        `echo "$$ $! $dev" > ${sq(sb.path("hang.tmp"))} && mv ${sq(sb.path("hang.tmp"))} ${sq(sb.path("hang"))}`,
        "echo hanging now",
        "wait",
        "",
      ].join("\n");
      await sb.writeOs("hang", { create: hang });
      const add = sb.start(["instance", "add", "-o", "hang", "--timeout", "1", "--disk", "0:size=4M", "t1"]);
      const [leader, child, dev] = await waitForScript(sb, add, "hang");
      sb.track(Number(leader));
      const res = await add.done;
      assert.equal(res.code, 1);
      const reason =
        onTerm === "exit"
          ? "terminated by signal 15, terminated after timeout of 1.00 seconds"
          : "terminated by signal 9, force termination after timeout of 1.00 seconds and linger for another 5.00 seconds";
      assert.ok(
        res.stderr.startsWith(
          `Error: Could not add os for instance t1 on node ${HOST}: OS create script failed (${reason}), ` +
            "last lines in the log file:\nhanging now\nHint: ",
        ),
        res.stderr,
      );
      assert.equal(isGone(Number(leader)), true);
      assert.equal(isGone(Number(child)), true);
      assert.deepEqual(groupMembers(Number(leader)), []);
      const disk = diskOf(sb, "t1");
      assert.deepEqual(await loopsOf(disk), []);
      assert.ok(
        res.stdout.includes(
          ` - WARNING: Detached loop device ${dev} that the create script left attached to ${disk}\n`,
        ),
        res.stdout,
      );
      assert.equal(await jobRows(sb), "1|error|INSTANCE_CREATE(t1)\n");
      assert.equal(await installStates(sb), "t1|failed\n");
    });
  }

  test("a second reinstall of a busy instance fails at once with LOCKED; with --wait it waits and succeeds", async () => {
    await sb.writeOs("slow", { create: slowCreate(sb, "cleanup") });
    await writeFile(sb.path("go"), "");
    const add = await sb.run(["instance", "add", "-o", "slow", "--disk", "0:size=4M", "r1"]);
    assert.equal(add.code, 0, add.stderr);
    await rm(sb.path("go"));
    await rm(sb.path("running"));

    const first = sb.start(["instance", "reinstall", "-f", "r1"]);
    const [pid] = await waitForScript(sb, first);
    sb.track(Number(pid));

    const locked = (id: number, op: string): string =>
      `Error: Cannot lock instance "r1": job ${id} (${op}) holds it\n` +
      `Hint: wait for it with "guestos job watch ${id}", or pass --wait\n`;
    const second = await sb.run(["instance", "reinstall", "-f", "r1"]);
    assert.equal(second.code, 1);
    assert.equal(second.stderr, locked(2, "INSTANCE_REINSTALL"));
    const modify = await sb.run(["instance", "modify", "-B", "vcpus=2", "r1"]);
    assert.equal(modify.code, 1);
    assert.equal(modify.stderr, locked(2, "INSTANCE_REINSTALL"));
    // Both failed while the first was still running (it waits for `go`).
    assert.equal(first.child.exitCode, null);

    const waiting = sb.start(["instance", "reinstall", "-f", "--wait", "r1"]);
    await waitFor("the third job to wait for the lock", async () =>
      (await jobRows(sb)).includes("5|waiting|INSTANCE_REINSTALL(r1)\n"),
    );
    await writeFile(sb.path("go"), "");
    const [r1, r3] = await Promise.all([first.done, waiting.done]);
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r3.code, 0, r3.stderr);
    assert.deepEqual(runsOf(sb), ["r1 reinstall=0", "r1 reinstall=1", "r1 reinstall=1"]);
    assert.equal(
      await jobRows(sb),
      "1|success|INSTANCE_CREATE(r1)\n2|success|INSTANCE_REINSTALL(r1)\n3|error|INSTANCE_REINSTALL(r1)\n" +
        "4|error|INSTANCE_SET_PARAMS(r1)\n5|success|INSTANCE_REINSTALL(r1)\n",
    );
    assert.equal(await installStates(sb), "r1|installed\n");
  });

  test("two concurrent adds of one name on a fresh home: one wins, the other fails; one instance, one disk", async () => {
    await sb.writeOs("slow", { create: slowCreate(sb, "cleanup") });
    const args = ["instance", "add", "-o", "slow", "--disk", "0:size=4M", "twin"];
    const a = sb.start(args);
    const b = sb.start(args);
    // Let the loser fail while the winner's script holds the instance, then let the winner finish.
    await waitFor("the winner's script to run", () => {
      if (a.child.exitCode !== null && b.child.exitCode !== null) throw new Error("both adds ended");
      return existsSync(sb.path("running"));
    });
    sb.track(Number(readFileSync(sb.path("running"), "utf8").split(" ")[0]));
    await Promise.race([a.done, b.done]);
    await writeFile(sb.path("go"), "");
    const results = await Promise.all([a.done, b.done]);
    const codes = results.map((r) => r.code).sort();
    assert.deepEqual(codes, [0, 1], JSON.stringify(results));
    const loser = results.find((r) => r.code === 1)!;
    assert.match(
      loser.stderr,
      /^Error: (Cannot lock instance "twin": job \d \(INSTANCE_CREATE\) holds it|Instance 'twin' is already in the cluster)\n/,
    );
    assert.equal(hasStackTrace(loser.stderr), false);
    assert.equal(await installStates(sb), "twin|installed\n");
    assert.equal(runsOf(sb).length, 1);
    diskOf(sb, "twin");

    const third = await sb.run(args);
    assert.equal(third.code, 1);
    assert.equal(third.stderr, "Error: Instance 'twin' is already in the cluster\n");
    diskOf(sb, "twin");
  });

  for (const damage of ["deleted", "truncated"] as const) {
    test(`a disk file ${damage} behind guestos's back: reinstall refuses before running the script; remove works`, async () => {
      await sb.writeOs("plain", { create: `echo "$INSTANCE_NAME" >> ${sq(sb.path("runs"))}\n` });
      const add = await sb.run(["instance", "add", "-o", "plain", "--disk", "0:size=4M", "d1"]);
      assert.equal(add.code, 0, add.stderr);
      const disk = diskOf(sb, "d1");
      if (damage === "deleted") await unlink(disk);
      else await truncate(disk, 2 ** 20);

      const re = await sb.run(["instance", "reinstall", "-f", "d1"]);
      assert.equal(re.code, 1);
      const reason =
        damage === "deleted" ? "the disk file is missing" : "the disk file is 1 MiB, expected 4 MiB";
      assert.equal(
        re.stderr,
        `Error: Cannot reinstall instance "d1": disk/0 (${disk}): ${reason}\n` +
          'Hint: the disk was changed outside guestos; restore it, or remove the instance with "guestos instance remove d1"\n',
      );
      assert.deepEqual(runsOf(sb), ["d1"], "the create script ran only for the add");
      assert.equal(await jobRows(sb), "1|success|INSTANCE_CREATE(d1)\n2|error|INSTANCE_REINSTALL(d1)\n");
      assert.equal(await installStates(sb), "d1|installed\n");

      const removed = await sb.run(["instance", "remove", "-f", "d1"]);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal(existsSync(join(sb.home, "file-storage", "d1")), false);
      assert.equal(await installStates(sb), "");
    });
  }
});

/** The store's own check, through a read-only connection. */
function integrityCheck(home: string): string {
  const db = new Database(join(home, "guestos.db"), { readonly: true, fileMustExist: true });
  try {
    return db.pragma("integrity_check", { simple: true }) as string;
  } finally {
    db.close();
  }
}

/** Free bytes for root on the filesystem holding `dir`. */
const freeBytes = (dir: string): number => {
  const s = statfsSync(dir);
  return s.bfree * s.bsize;
};

/** A failure fit for people: exit 1, an `Error: ` line first, no JavaScript stack. */
function assertCleanFailure(r: CliResult, what: string): void {
  assert.equal(r.code, 1, `${what}: ${JSON.stringify(r)}`);
  assert.match(r.stderr, /^Error: \S/, what);
  assert.equal(hasStackTrace(r.stderr), false, `${what}: ${r.stderr}`);
}

describe("a full filesystem under the home", { skip: SKIP }, () => {
  let sb: Sandbox;
  let mnt: string;
  let dev: string;
  let initialFree: number;
  before(async () => {
    sb = await makeSandbox("guestos-fullfs-");
    const img = sb.path("fs.img");
    mnt = sb.path("mnt");
    await mkdir(mnt);
    await run("truncate", ["-s", "16M", img]);
    // 4 KiB blocks, as real filesystems have: with 1 KiB blocks SQLite's mmap'ed -shm can SIGBUS when full.
    await run("mkfs.ext4", ["-q", "-F", "-b", "4096", img]);
    dev = (await run("losetup", ["--show", "-f", img])).stdout.trim();
    await run("mount", [dev, mnt]);
    initialFree = freeBytes(mnt);
    // Fills the disk: the file disk is sparse, so writing it takes the space only now.
    await sb.writeOs("filler", {
      create: 'echo "filling $DISK_0_PATH"\ndd if=/dev/zero of="$DISK_0_PATH" bs=1M count=64 conv=notrunc\n',
    });
    await sb.writeOs("quiet", { create: "echo installed\n" });
  });
  after(async () => {
    const root = sb.root;
    await sb.cleanup();
    await assertNothingLeft(root);
  });

  let home: string;
  beforeEach(() => {
    home = join(mnt, `home-${Math.random().toString(36).slice(2)}`);
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
    await rm(join(mnt, "filler"), { force: true });
    // The space comes back once the home is gone (ext4 frees blocks at once on unlink).
    assert.ok(freeBytes(mnt) >= initialFree - 2 ** 20, `free ${freeBytes(mnt)} of ${initialFree}`);
  });

  test("a create script that fills it fails with the script's error; the store stays intact", async () => {
    const add = await sb.run(["instance", "add", "-o", "filler", "--disk", "0:size=64M", "full1"], { home });
    assertCleanFailure(add, "add");
    assert.ok(
      add.stderr.startsWith(
        `Error: Could not add os for instance full1 on node ${HOST}: OS create script failed (exited with exit code 1)`,
      ),
      add.stderr,
    );
    assert.match(add.stderr, /No space left on device/);
    assert.equal(integrityCheck(home), "ok");

    // While the filesystem is full, every command works or fails cleanly, and breaks nothing.
    for (const args of [
      ["job", "list"],
      ["instance", "list"],
      ["instance", "info", "full1"],
    ]) {
      const r = await sb.run(args, { home });
      if (r.code !== 0) assertCleanFailure(r, args.join(" "));
    }
    assert.equal(integrityCheck(home), "ok");

    // Space made by hand (the disk file is what filled it): the node recovers and remove finishes the job.
    await unlink(diskOf(sb, "full1", home));
    assert.equal(await jobRows(sb, home), "1|error|INSTANCE_CREATE(full1)\n");
    assert.equal(await installStates(sb, home), "full1|failed\n");
    const removed = await sb.run(["instance", "remove", "-f", "full1"], { home });
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(await installStates(sb, home), "");
    assert.equal(integrityCheck(home), "ok");
  });

  test("instance remove frees the space while the filesystem is still full", async () => {
    const add = await sb.run(["instance", "add", "-o", "filler", "--disk", "0:size=64M", "full2"], {
      home,
    });
    assertCleanFailure(add, "add");
    assert.equal(await jobRows(sb, home), "1|error|INSTANCE_CREATE(full2)\n");
    assert.equal(await installStates(sb, home), "full2|failed\n");
    const removed = await sb.run(["instance", "remove", "-f", "full2"], { home });
    assert.equal(removed.code, 0, removed.stderr);
    // The home keeps its store and a 2 MiB space reserve (src/node/reserve.ts); the disk's 64 MiB are back.
    assert.ok(freeBytes(mnt) >= initialFree - 4 * 2 ** 20, `free ${freeBytes(mnt)} of ${initialFree}`);
    assert.equal(integrityCheck(home), "ok");
  });

  test("an add on a full filesystem says that the disk is full", async () => {
    assert.equal(await jobRows(sb, home), "");
    await run("dd", ["if=/dev/zero", `of=${join(mnt, "filler")}`, "bs=64k"]).catch(() => undefined);
    const add = await sb.run(["instance", "add", "-o", "quiet", "--disk", "0:size=4M", "late"], { home });
    assertCleanFailure(add, "add");
    assert.match(add.stderr, /full/);
  });

  for (const state of ["a fresh home", "an initialised home"] as const) {
    test(`an add when the filesystem is already full (${state}) fails cleanly and leaves the store consistent`, async () => {
      if (state === "an initialised home") assert.equal(await jobRows(sb, home), "");
      // Fill what is left (as root, the reserved blocks too; statfs still counts ext4's own reserve).
      const dd = await run("dd", ["if=/dev/zero", `of=${join(mnt, "filler")}`, "bs=64k"]).then(
        () => "",
        (err: { stderr: string }) => err.stderr,
      );
      assert.match(dd, /No space left on device/);

      const add = await sb.run(["instance", "add", "-o", "quiet", "--disk", "0:size=4M", "late"], { home });
      if (add.code !== 0) assertCleanFailure(add, "add");
      for (const args of [
        ["job", "list"],
        ["instance", "list"],
      ]) {
        const r = await sb.run(args, { home });
        if (r.code !== 0) assertCleanFailure(r, args.join(" "));
      }

      // With space again (SQLite cannot even read a WAL store whose -shm cannot grow), the store is intact,
      // no job is left pending, and whatever was created can be removed.
      await rm(join(mnt, "filler"));
      assert.equal(integrityCheck(home), "ok");
      const jobs = await jobRows(sb, home);
      assert.doesNotMatch(jobs, /\|(queued|waiting|running)\|/);
      const listed = await installStates(sb, home);
      if (listed !== "") {
        assert.match(listed, /^late\|(installed|failed)\n$/);
        const removed = await sb.run(["instance", "remove", "-f", "late"], { home });
        assert.equal(removed.code, 0, removed.stderr);
      }
      assert.equal(existsSync(join(home, "file-storage", "late")), false);
      assert.equal(integrityCheck(home), "ok");
    });
  }
});
