import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable, Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { isGuestosError } from "../errors.js";
import { scriptFailureMessage } from "./failure.js";
import { liveGroupMembers } from "./procgroup.js";
import { runScript, type RunOptions } from "./spawn.js";
import { tailLog } from "./tail.js";

const PYTHON = "/usr/bin/python3";
const GANETI = "/usr/share/ganeti/default";
const haveGaneti = fs.existsSync(PYTHON) && fs.existsSync(`${GANETI}/ganeti/utils/process.py`);
const PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

let dir: string;
let osDir: string;
let out: string;
before(async () => {
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "guestos-run-"));
  osDir = path.join(dir, "os");
  out = path.join(dir, "out");
  fs.mkdirSync(osDir);
  fs.mkdirSync(out);
});
after(async () => {
  await fs.promises.rm(dir, { recursive: true, force: true });
});

let counter = 0;
/** Write an executable script (a /bin/sh body) into the OS dir and return its path. */
function script(body: string, opts: { shebang?: string; mode?: number } = {}): string {
  const p = path.join(osDir, `s${counter++}`);
  fs.writeFileSync(p, `${opts.shebang ?? "#!/bin/sh"}\n${body}\n`, { mode: opts.mode ?? 0o755 });
  fs.chmodSync(p, opts.mode ?? 0o755);
  return p;
}

function run(argv0: string, opts: Partial<RunOptions> = {}): ReturnType<typeof runScript> {
  return runScript({ argv: [argv0], cwd: osDir, env: { PATH, OUT: out }, ...opts });
}

function readOut(name: string): string {
  return fs.readFileSync(path.join(out, name), "latin1");
}

/** The fds of process `pid` as listed by `ls -l /proc/<pid>/fd`, minus the shell's own hold on the script. */
function fdsFromListing(listing: string, scriptPath: string): number[] {
  return listing
    .split("\n")
    .filter((l) => l.includes(" -> ") && !l.endsWith(`-> ${scriptPath}`))
    .map((l) => Number(/ (\d+) -> /.exec(l)![1]))
    .sort((a, b) => a - b);
}

function ownFds(): string[] {
  return fs.readdirSync("/proc/self/fd").sort();
}

/** A pid is gone or a zombie (what a non-reaping PID 1 leaves). */
function dead(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

describe("what the script sees", () => {
  test("argv, cwd and exactly the given environment, nothing inherited", async () => {
    process.env.GUESTOS_SENTINEL = "leaked";
    const env = {
      PATH,
      OUT: out,
      INSTANCE_NAME: "web1.example.com",
      HOSTILE: "$(touch /tmp/pwned) `id` ; | & \n second line 'q' \"dq\" é",
      EMPTY: "",
    };
    const s = script(
      [
        'cat /proc/$$/environ > "$OUT/environ"',
        'printf "%s\\0" "$0" "$@" > "$OUT/argv"',
        'readlink /proc/$$/cwd > "$OUT/cwd"',
        'umask > "$OUT/umask"',
      ].join("\n"),
    );
    const res = await runScript({ argv: [s, "parameters", "a b", "'x'"], cwd: osDir, env });
    delete process.env.GUESTOS_SENTINEL;
    assert.equal(res.failed, false);
    assert.equal(res.failReason, null);
    assert.equal(res.exitCode, 0);
    const seen = readOut("environ").split("\0").filter(Boolean);
    assert.deepEqual(
      seen.sort(),
      Object.entries(env)
        .map(([k, v]) => `${k}=${Buffer.from(v).toString("latin1")}`)
        .sort(),
    );
    assert.deepEqual(readOut("argv").split("\0").slice(0, -1), [s, "parameters", "a b", "'x'"]);
    assert.equal(readOut("cwd"), `${osDir}\n`);
    assert.equal(readOut("umask"), "0077\n");
  });

  test("stdin is at EOF: reading it, or /dev/stdin, ends at once", async () => {
    const s = script(
      'cat > "$OUT/stdin1"; cat /dev/stdin > "$OUT/stdin2"; readlink /proc/$$/fd/0 > "$OUT/fd0"',
    );
    const res = await run(s);
    assert.equal(res.exitCode, 0);
    assert.equal(readOut("stdin1"), "");
    assert.equal(readOut("stdin2"), "");
    assert.equal(readOut("fd0"), "/dev/null\n");
  });

  test('stdin "devnull" is /dev/null', async () => {
    const s = script('readlink /proc/$$/fd/0 > "$OUT/fd0d"');
    assert.equal((await run(s, { stdin: "devnull" })).exitCode, 0);
    assert.equal(readOut("fd0d"), "/dev/null\n");
  });

  test("only fds 0-2 are open (3 with EXP_SIZE_FD), even if this process inherited others", async () => {
    // No redirection in the listing shell: dash would keep a saved copy of the redirected fd.
    const s = script("ls -l /proc/$$/fd");
    const logged = await run(s, { logFile: path.join(dir, "logs", "fds.log") });
    const listing = fs.readFileSync(logged.logFile!, "utf8");
    assert.deepEqual(fdsFromListing(listing, s), [0, 1, 2], listing);
    const captured = await run(s, { sizeFd: true, capture: true });
    assert.deepEqual(fdsFromListing(captured.output, s), [0, 1, 2, 3], captured.output);
  });

  test("the size pipe is a real pipe end: /dev/fd/3 and /dev/stderr can be opened", async () => {
    const s = script(
      'echo 4096 > /dev/fd/$EXP_SIZE_FD; echo "bad param" > /dev/stderr; [ -p /dev/stdout ] && echo pipe',
    );
    const res = await run(s, { sizeFd: true, capture: true });
    assert.equal(res.expSize, 4096);
    assert.equal(res.output, "pipe\nbad param\n");
  });
});

describe("log file", () => {
  test("stdout and stderr are appended to one log, in order; the name is suffixed when taken", async () => {
    const logFile = path.join(dir, "logs", "add-noop-i1-2024-01-05_07_08_09.log");
    const s = script("echo one; echo two >&2; echo three");
    const a = await run(s, { logFile });
    const b = await run(s, { logFile });
    assert.equal(a.logFile, logFile);
    assert.equal(b.logFile, logFile.replace(/\.log$/, "-1.log"));
    assert.equal(fs.readFileSync(logFile, "utf8"), "one\ntwo\nthree\n");
    assert.equal(fs.readFileSync(b.logFile, "utf8"), "one\ntwo\nthree\n");
    assert.equal(a.output, "");
    assert.equal(fs.statSync(logFile).mode & 0o777, 0o600);
  });

  test("appendLog appends at exactly the given path, like Ganeti", async () => {
    const logFile = path.join(dir, "logs", "shared.log");
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    fs.writeFileSync(logFile, "earlier\n");
    const res = await run(script("echo later"), { logFile, appendLog: true });
    assert.equal(res.logFile, logFile);
    assert.equal(fs.readFileSync(logFile, "utf8"), "earlier\nlater\n");
  });

  test("the failure message carries the escaped tail of the log", async () => {
    const logFile = path.join(dir, "logs", "fail.log");
    const lines = Array.from({ length: 25 }, (_, i) => `line ${i}`).join("\\n");
    const s = script(
      [
        `printf '${lines}\\n'`,
        "printf 'tab\\there\\n'",
        "printf 'cr\\rsplit\\n' >&2",
        "printf 'esc\\033[1mbold\\n'",
        "printf 'bin\\377\\376\\000z\\n'",
        "printf 'utf8 \\303\\251\\n'",
        "exit 1",
      ].join("\n"),
    );
    const res = await run(s, { logFile });
    assert.equal(res.failReason, "exited with exit code 1");
    const message = scriptFailureMessage("create", res.failReason, await tailLog(res.logFile!));
    const expectedTail = [
      ...Array.from({ length: 14 }, (_, i) => `line ${i + 11}`),
      "tab\\there",
      "cr",
      "split",
      "esc\\x1b[1mbold",
      "bin\\xff\\xfe\\x00z",
      "utf8 \\xe9",
    ];
    assert.equal(
      message,
      `OS create script failed (exited with exit code 1), last lines in the log file:\n${expectedTail.join("\n")}`,
    );
  });

  test("long lines: only the last 4096 bytes are looked at", async () => {
    const logFile = path.join(dir, "logs", "long.log");
    const s = script(
      "i=0; while [ $i -lt 3 ]; do head -c 3000 /dev/zero | tr '\\0' 'a'; echo; i=$((i+1)); done; exit 2",
    );
    const res = await run(s, { logFile });
    const tail = await tailLog(res.logFile!);
    assert.deepEqual(
      tail.map((l) => l.length),
      [4096 - 3001 - 1, 3000],
    );
  });

  test("a flood goes straight to the log, whole", async () => {
    const logFile = path.join(dir, "logs", "flood.log");
    const before = process.memoryUsage().rss;
    const res = await run(script("head -c 52428800 /dev/zero; echo end >&2"), { logFile });
    assert.equal(res.exitCode, 0);
    assert.equal(fs.statSync(logFile).size, 52428800 + 4);
    // The bytes never passed through this process.
    assert.ok(process.memoryUsage().rss - before < 40 * 1024 * 1024);
  });
});

describe("exit status", () => {
  test("non-zero exit", async () => {
    const res = await run(script("exit 3"));
    assert.deepEqual(
      [res.exitCode, res.signal, res.failed, res.failReason],
      [3, null, true, "exited with exit code 3"],
    );
  });

  test("killed by a signal", async () => {
    const res = await run(script("kill -9 $$"));
    assert.deepEqual([res.exitCode, res.signal, res.failReason], [null, 9, "terminated by signal 9"]);
  });
});

describe("scripts that cannot be executed", () => {
  async function execError(argv0: string, cwd = osDir): Promise<string> {
    const fdsBefore = ownFds();
    const err = await run(argv0, { cwd }).then(
      () => assert.fail("expected SCRIPT_EXEC"),
      (e: unknown) => e,
    );
    assert.ok(isGuestosError(err, "SCRIPT_EXEC"), String(err));
    assert.deepEqual(ownFds(), fdsBefore, "no fd left behind");
    return err.message;
  }

  /** What Ganeti's RunCmd says for the same command. */
  function ganeti(argv0: string, cwd = osDir): string {
    const py = [
      "import sys",
      `sys.path.insert(0, ${JSON.stringify(GANETI)})`,
      "from ganeti import utils",
      "try:",
      "  utils.RunCmd([sys.argv[1]], cwd=sys.argv[2], reset_env=True)",
      "except Exception as e:",
      "  sys.stdout.write(str(e))",
    ].join("\n");
    return execFileSync(PYTHON, ["-c", py, argv0, cwd]).toString();
  }

  const skipPy = !haveGaneti && "no Ganeti here";

  test("missing", async () => {
    const p = path.join(osDir, "missing");
    const msg = await execError(p);
    assert.equal(msg, `Can't execute '${p}': not found ([Errno 2] No such file or directory: '${p}')`);
  });

  test("not executable", async () => {
    const p = script("echo hi", { mode: 0o644 });
    assert.equal(await execError(p), `[Errno 13] Permission denied: '${p}'`);
  });

  test("a directory", async () => {
    assert.equal(await execError(out), `[Errno 13] Permission denied: '${out}'`);
  });

  test("no shebang: not run through /bin/sh", async () => {
    const p = script(`touch "${out}/ran"`, { shebang: "" });
    assert.equal(await execError(p), `[Errno 8] Exec format error: '${p}'`);
    const empty = script("", { shebang: "" });
    fs.writeFileSync(empty, "");
    assert.equal(await execError(empty), `[Errno 8] Exec format error: '${empty}'`);
    assert.equal(fs.existsSync(path.join(out, "ran")), false);
  });

  test("a shebang naming a missing interpreter", async () => {
    const p = script("echo hi", { shebang: "#!/nonexistent/interpreter" });
    assert.equal(
      await execError(p),
      `Can't execute '${p}': not found ([Errno 2] No such file or directory: '${p}')`,
    );
  });

  test("a missing cwd", async () => {
    const p = script("echo hi");
    const cwd = path.join(dir, "nodir");
    assert.equal(
      await execError(p, cwd),
      `Can't execute '${p}': not found ([Errno 2] No such file or directory: '${cwd}')`,
    );
  });

  test("the messages are Ganeti's", { skip: skipPy }, async () => {
    const cases = [
      path.join(osDir, "missing"),
      script("echo hi", { mode: 0o644 }),
      script("echo hi", { shebang: "" }),
      script("echo hi", { shebang: "#!/nonexistent/interpreter" }),
      script("echo hi", { shebang: "#!   " }),
    ];
    for (const p of cases) assert.equal(await execError(p), ganeti(p), p);
    const p = script("echo hi");
    assert.equal(await execError(p, "/nonexistent"), ganeti(p, "/nonexistent"));
  });

  test("bad options are refused before anything runs", async () => {
    await assert.rejects(run("relative/path"), (e) => isGuestosError(e, "BAD_OPTION"));
    await assert.rejects(run(script("true"), { env: { "A=B": "x" } }), (e) =>
      isGuestosError(e, "BAD_OPTION"),
    );
    await assert.rejects(run(script("true"), { env: { A: "x\0y" } }), (e) => isGuestosError(e, "BAD_OPTION"));
    await assert.rejects(run(script("true"), { stdout: "log" }), (e) => isGuestosError(e, "BAD_OPTION"));
  });
});

describe("timeout and abort", () => {
  test("a hung script and its background child are stopped with SIGTERM", async () => {
    const s = script('sleep 1000 & echo $! > "$OUT/bg1"; sleep 1000');
    const res = await run(s, { timeoutMs: 300, killGraceMs: 200 });
    assert.equal(res.timedOut, true);
    assert.equal(res.failed, true);
    assert.equal(res.signal, 15);
    assert.equal(res.failReason, "terminated by signal 15, terminated after timeout of 0.30 seconds");
    assert.deepEqual(liveGroupMembers(res.pid), []);
    assert.ok(dead(Number(readOut("bg1"))));
  });

  test("a script that ignores SIGTERM gets SIGKILL after the grace", async () => {
    const s = script('trap "" TERM; sleep 1000 & echo $! > "$OUT/bg2"; while :; do sleep 1; done');
    const res = await run(s, { timeoutMs: 300, killGraceMs: 200 });
    assert.equal(res.signal, 9);
    assert.equal(
      res.failReason,
      "terminated by signal 9, force termination after timeout of 0.30 seconds and linger for another 0.20 seconds",
    );
    assert.deepEqual(liveGroupMembers(res.pid), []);
    assert.ok(dead(Number(readOut("bg2"))));
  });

  test("a child that ignores SIGTERM is killed even when the script itself died", async () => {
    const s = script('(trap "" TERM; exec sleep 1000) & echo $! > "$OUT/bg3"; sleep 1000');
    const res = await run(s, { timeoutMs: 300, killGraceMs: 200 });
    assert.equal(res.signal, 15);
    assert.match(
      res.failReason!,
      /^terminated by signal 15, force termination after timeout of 0\.30 seconds/,
    );
    assert.deepEqual(liveGroupMembers(res.pid), []);
    assert.ok(dead(Number(readOut("bg3"))));
  });

  test("abort runs the same kill sequence", async () => {
    const ac = new AbortController();
    const res = await run(script('touch "$OUT/started"; sleep 1000'), {
      signal: ac.signal,
      killGraceMs: 200,
      onSpawn: () => {
        const poll = setInterval(() => {
          if (fs.existsSync(path.join(out, "started"))) {
            clearInterval(poll);
            ac.abort();
          }
        }, 10);
      },
    });
    assert.equal(res.aborted, true);
    assert.equal(res.timedOut, false);
    assert.equal(res.failReason, "terminated by signal 15, terminated after abort");
    assert.deepEqual(liveGroupMembers(res.pid), []);
  });

  test("an already aborted signal runs nothing", async () => {
    await assert.rejects(run(script("true"), { signal: AbortSignal.abort() }), (e) =>
      isGuestosError(e, "ABORTED"),
    );
  });

  test("a script that finishes in time is not touched", async () => {
    const res = await run(script("exit 0"), { timeoutMs: 60_000 });
    assert.deepEqual([res.failed, res.timedOut, res.failReason], [false, false, null]);
  });
});

describe("EXP_SIZE_FD", () => {
  test("reported, not reported, garbage", async () => {
    assert.equal((await run(script("echo 1073741824 >&$EXP_SIZE_FD"), { sizeFd: true })).expSize, 1073741824);
    assert.equal((await run(script("true"), { sizeFd: true })).expSize, null);
    assert.equal((await run(script("echo garbage >&$EXP_SIZE_FD"), { sizeFd: true })).expSize, null);
    assert.equal(
      // Random bytes without newlines: one long garbage line. (With newlines, a random short line such as
      // "3" would be a number, and the last number wins.)
      (
        await run(script("echo 5 >&3; echo junk >&3; head -c 100000 /dev/urandom | tr -d '\\n' >&3"), {
          sizeFd: true,
        })
      ).expSize,
      5,
    );
  });

  test("EXP_SIZE_FD=3 is in the environment only with sizeFd", async () => {
    const s = script('echo "${EXP_SIZE_FD-unset}"');
    assert.equal((await run(s, { sizeFd: true, capture: true })).output, "3\n");
    assert.equal((await run(s, { capture: true })).output, "unset\n");
  });
});

describe("streams", () => {
  test("stdin from a stream; /dev/stdin can be opened", async () => {
    const data = Buffer.alloc(3 * 1024 * 1024, "abcdefgh");
    const s = script('cat /dev/stdin > "$OUT/copy"');
    const res = await run(s, { stdin: Readable.from([data.subarray(0, 1000), data.subarray(1000)]) });
    assert.equal(res.exitCode, 0);
    assert.ok(fs.readFileSync(path.join(out, "copy")).equals(data));
  });

  test("stdin from a stream to a script that exits without reading", async () => {
    const endless = new Readable({
      read() {
        this.push(Buffer.alloc(65536, 1));
      },
    });
    const res = await run(script("exit 4"), { stdin: endless });
    assert.equal(res.exitCode, 4);
    endless.destroy();
  });

  test("stdout to an fd (export writes the disk stream) and stderr to the log", async () => {
    const dump = path.join(dir, "dump");
    const fd = fs.openSync(dump, "w");
    const logFile = path.join(dir, "logs", "export.log");
    try {
      const res = await run(script("head -c 100000 /dev/zero; echo progress >&2"), {
        stdout: fd,
        logFile,
        stdin: "devnull",
      });
      assert.equal(res.exitCode, 0);
    } finally {
      fs.closeSync(fd);
    }
    assert.equal(fs.statSync(dump).size, 100000);
    assert.equal(fs.readFileSync(logFile, "utf8"), "progress\n");
  });

  test("stdout to a writable stream", async () => {
    const sink = new PassThrough();
    const chunks: Buffer[] = [];
    sink.on("data", (c: Buffer) => chunks.push(c));
    const res = await run(script("head -c 1000000 /dev/zero | tr '\\0' z"), { stdout: sink });
    assert.equal(res.exitCode, 0);
    const all = Buffer.concat(chunks);
    assert.equal(all.length, 1000000);
    assert.ok(all.every((b) => b === 0x7a));
  });

  test("capture keeps the last 1 MiB and says so", async () => {
    const res = await run(script("head -c 8388608 /dev/zero | tr '\\0' x; echo; echo the-end"), {
      capture: true,
    });
    assert.equal(res.exitCode, 0);
    assert.match(res.output, /^\[guestos: output truncated, the first \d+ bytes of stdout were dropped\]\n/);
    assert.ok(res.output.endsWith("x\nthe-end\n"));
    const body = res.output.slice(res.output.indexOf("\n") + 1);
    assert.equal(Buffer.byteLength(body), 1024 * 1024);
  });

  test("binary garbage in captured output does not break anything", async () => {
    const res = await run(script("head -c 10000 /dev/urandom; echo done"), { capture: true });
    assert.equal(res.exitCode, 0);
    assert.ok(res.output.endsWith("done\n"));
  });

  test("a failing stdout stream stops the script: SCRIPT_IO, nothing left running", async () => {
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error("disk full"));
      },
    });
    broken.on("error", () => {});
    let pid = 0;
    await assert.rejects(
      run(script("while :; do head -c 65536 /dev/zero; done"), {
        stdout: broken,
        killGraceMs: 200,
        onSpawn: (p) => (pid = p),
      }),
      (e) => {
        assert.ok(isGuestosError(e, "SCRIPT_IO"));
        assert.match(e.message, /: the stdout stream failed: disk full$/);
        return true;
      },
    );
    assert.deepEqual(liveGroupMembers(pid), []);
  });

  test("no fd of ours outlives a run", async () => {
    const before = ownFds();
    const sink = new PassThrough();
    sink.resume();
    await run(script("cat; echo 1 >&3; echo x >&2"), {
      stdin: Readable.from([Buffer.from("data")]),
      stdout: sink,
      sizeFd: true,
    });
    await run(script("echo out; echo err >&2"), {
      capture: true,
      logFile: path.join(dir, "logs", "fdcheck.log"),
    });
    await run(script("sleep 1000"), { timeoutMs: 100, killGraceMs: 100, capture: true, sizeFd: true });
    assert.deepEqual(ownFds(), before);
  });
});
