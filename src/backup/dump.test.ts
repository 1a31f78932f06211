import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { GuestosError } from "../errors.js";
import type { ScriptPlan } from "../run/planned.js";
import { readDump, UNREAD_TOLERANCE } from "./dumpread.js";
import type { Compression } from "./dumptypes.js";
import { writeDump, zstdInputBytes } from "./dumpwrite.js";

const MiB = 1024 * 1024;

let root: string;
let osdir: string;
let logDir: string;
let disk: string;
let diskBytes: number;
let seq = 0;

const SCRIPTS: Record<string, string> = {
  export: 'stat -c %s "$EXPORT_DEVICE" >&3\nexec cat "$EXPORT_DEVICE"',
  "export-nothing": "exit 0",
  "export-short": 'echo 1000000 >&3\nhead -c 10 "$EXPORT_DEVICE"',
  "export-killed": 'head -c 100000 "$EXPORT_DEVICE"\nkill -9 $$',
  "export-slow": "exec sleep 30",
  // The leader exits at once; its child keeps stdout (zstd's input) open.
  "export-leftover": 'sleep 30 &\necho $! > "$PID_FILE"\nexit 0',
  import: 'exec cat > "$IMPORT_DEVICE"',
  "import-marked": 'touch "$IMPORT_DEVICE.ran"\nexec cat > "$IMPORT_DEVICE"',
  "import-noread": 'touch "$IMPORT_DEVICE"\nexit 0',
  // Reads (and writes out) all but the last 1000 bytes: what is left fits in the pipe.
  "import-partial": 'head -c "$(( $(stat -c %s "$DUMP_SIZE_OF") - $LEAVE ))" > "$IMPORT_DEVICE"',
  "import-killed": 'head -c 1000 > "$IMPORT_DEVICE"\nkill -9 $$',
};

function plan(
  kind: "export" | "import",
  script: string,
  device: string,
  env: Record<string, string> = {},
): ScriptPlan {
  const prefix = kind === "export" ? "EXPORT" : "IMPORT";
  const path = join(osdir, script);
  return {
    kind,
    script: path,
    argv: [path],
    cwd: osdir,
    env: {
      PATH: "/usr/bin:/bin",
      [`${prefix}_DEVICE`]: device,
      [`${prefix}_INDEX`]: "0",
      EXP_SIZE_FD: "3",
      ...env,
    },
    logFile: join(logDir, `${kind}-${++seq}.log`),
  };
}

const fresh = (name: string): string => join(root, `${name}-${++seq}`);
const sha256sum = (path: string): string => execFileSync("sha256sum", [path]).toString().slice(0, 64);
const isError =
  (code: string, message?: string | RegExp) =>
  (err: unknown): boolean => {
    if (!(err instanceof GuestosError) || err.code !== code) return false;
    if (message === undefined) return true;
    return typeof message === "string" ? err.message === message : message.test(err.message);
  };

async function exported(compression: Compression, dumpPath = fresh(`dump-${compression}`)) {
  const out = await writeDump({ plan: plan("export", "export", disk), dumpPath, compression, diskBytes });
  return { ...out, dumpPath };
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "guestos-dump-"));
  osdir = join(root, "os");
  logDir = join(root, "log");
  fs.mkdirSync(osdir);
  fs.mkdirSync(logDir);
  for (const [name, body] of Object.entries(SCRIPTS)) {
    fs.writeFileSync(join(osdir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  }
  // Random data, a run of zeros (holes in the dump) and an odd tail.
  disk = join(root, "disk");
  const data = Buffer.concat([randomBytes(1.5 * MiB), Buffer.alloc(2 * MiB), randomBytes(300_000 + 123)]);
  fs.writeFileSync(disk, data);
  diskBytes = data.length;
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("round trips", () => {
  for (const compression of ["none", "gzip", "zstd"] as const) {
    test(`${compression}: the imported disk is the exported one, the sha256 is sha256sum's`, async () => {
      const progress: [number, number | null][] = [];
      const dumpPath = fresh(`dump-${compression}`);
      const out = await writeDump({
        plan: plan("export", "export", disk),
        dumpPath,
        compression,
        diskBytes,
        onProgress: (b, e) => progress.push([b, e]),
      });
      assert.equal(out.sha256, sha256sum(dumpPath));
      assert.equal(out.bytes, fs.statSync(dumpPath).size);
      assert.equal(out.rawBytes, diskBytes);
      assert.equal(out.expSize, diskBytes);
      assert.deepEqual(progress.at(-1), [diskBytes, diskBytes]);
      assert.equal(fs.statSync(dumpPath).mode & 0o777, 0o600);
      if (compression === "none") assert.ok(fs.readFileSync(dumpPath).equals(fs.readFileSync(disk)));
      else assert.ok(out.bytes < diskBytes);
      // Standard formats: the system tools read them too.
      if (compression !== "none") {
        const tool = compression === "gzip" ? "gzip" : "zstd";
        assert.ok(
          execFileSync(tool, ["-dc", dumpPath], { maxBuffer: 64 * MiB }).equals(fs.readFileSync(disk)),
        );
      }

      const target = fresh("target");
      const read = await readDump({
        plan: plan("import", "import", target),
        dumpPath,
        compression,
        sha256: out.sha256,
        bytes: out.bytes,
      });
      assert.deepEqual(
        { verified: read.verified, sha256: read.sha256, bytes: read.bytes },
        { verified: true, sha256: out.sha256, bytes: out.bytes },
      );
      assert.ok(fs.readFileSync(target).equals(fs.readFileSync(disk)));
    });
  }

  test("a dump without recorded checksum (a Ganeti export) is imported unverified", async () => {
    const { dumpPath, sha256 } = await exported("none");
    const target = fresh("target");
    const read = await readDump({ plan: plan("import", "import", target), dumpPath, compression: "none" });
    assert.equal(read.verified, false);
    assert.equal(read.sha256, sha256);
    assert.ok(fs.readFileSync(target).equals(fs.readFileSync(disk)));
  });
});

describe("sparse dumps", () => {
  test("zero blocks of an uncompressed dump are holes, the bytes are unchanged", async () => {
    const sparseDisk = fresh("sparse-disk");
    const fd = fs.openSync(sparseDisk, "w");
    fs.ftruncateSync(fd, 16 * MiB);
    fs.writeSync(fd, randomBytes(MiB), 0, MiB, 5 * MiB);
    fs.closeSync(fd);
    const dumpPath = fresh("sparse-dump");
    const out = await writeDump({
      plan: plan("export", "export", sparseDisk),
      dumpPath,
      compression: "none",
      progressIntervalMs: 1,
    });
    assert.equal(out.sparse, true);
    const st = fs.statSync(dumpPath);
    assert.equal(st.size, 16 * MiB);
    assert.ok(st.blocks * 512 <= MiB + 64 * 1024, `allocated ${st.blocks * 512}`);
    assert.equal(out.sha256, sha256sum(sparseDisk));
    assert.ok(fs.readFileSync(dumpPath).equals(fs.readFileSync(sparseDisk)));
  });

  test("sparse: false keeps every block", async () => {
    const dumpPath = fresh("dense-dump");
    await writeDump({ plan: plan("export", "export", disk), dumpPath, compression: "none", sparse: false });
    assert.ok(fs.statSync(dumpPath).blocks * 512 >= diskBytes);
  });
});

describe("export failures", () => {
  test("a script that exits 0 without output for a non-empty disk: EXPORT_SHORT, no dump left", async () => {
    const dumpPath = fresh("dump");
    await assert.rejects(
      writeDump({ plan: plan("export", "export-nothing", disk), dumpPath, compression: "none", diskBytes }),
      isError(
        "EXPORT_SHORT",
        `Cannot export disk/0: the export script wrote 0 bytes but the disk has ${diskBytes}`,
      ),
    );
    assert.equal(fs.existsSync(dumpPath), false);
  });

  for (const compression of ["none", "zstd"] as const) {
    test(`${compression}: fewer bytes than announced on EXP_SIZE_FD: EXPORT_SHORT`, async () => {
      const dumpPath = fresh("dump");
      await assert.rejects(
        writeDump({ plan: plan("export", "export-short", disk), dumpPath, compression }),
        isError(
          "EXPORT_SHORT",
          "Cannot export disk/0: the export script wrote 10 bytes but announced 1000000",
        ),
      );
      assert.equal(fs.existsSync(dumpPath), false);
    });
  }

  for (const compression of ["none", "gzip", "zstd"] as const) {
    test(`${compression}: a script killed halfway: runPlanned's SCRIPT_FAILED, no dump left`, async () => {
      const dumpPath = fresh("dump");
      await assert.rejects(
        writeDump({ plan: plan("export", "export-killed", disk), dumpPath, compression }),
        isError("SCRIPT_FAILED", /^OS export script failed \(terminated by signal 9\)/),
      );
      assert.equal(fs.existsSync(dumpPath), false);
    });
  }

  test("zstd missing from PATH: TOOL_MISSING before anything runs", async () => {
    const dumpPath = fresh("dump");
    const empty = fresh("bin");
    fs.mkdirSync(empty);
    await assert.rejects(
      writeDump({ plan: plan("export", "export", disk), dumpPath, compression: "zstd", toolPath: empty }),
      isError(
        "TOOL_MISSING",
        `Cannot export disk/0 with zstd: the program "zstd" was not found on PATH "${empty}"`,
      ),
    );
    assert.equal(fs.existsSync(dumpPath), false);
  });

  test("zstd failing: ZSTD_FAILED with its message", async () => {
    const bin = fresh("bin");
    fs.mkdirSync(bin);
    fs.writeFileSync(join(bin, "zstd"), "#!/bin/sh\necho 'zstd: cannot write: No space left' >&2\nexit 1\n", {
      mode: 0o755,
    });
    const dumpPath = fresh("dump");
    await assert.rejects(
      writeDump({ plan: plan("export", "export", disk), dumpPath, compression: "zstd", toolPath: bin }),
      isError(
        "ZSTD_FAILED",
        `Cannot export disk/0: zstd exited with exit code 1 while writing "${dumpPath}": zstd: cannot write: No space left`,
      ),
    );
    assert.equal(fs.existsSync(dumpPath), false);
  });

  test("an existing dump file is never overwritten", async () => {
    const dumpPath = fresh("dump");
    fs.writeFileSync(dumpPath, "keep");
    await assert.rejects(
      writeDump({ plan: plan("export", "export", disk), dumpPath, compression: "none" }),
      isError("DUMP_CREATE", `Cannot create dump "${dumpPath}": EEXIST`),
    );
    assert.equal(fs.readFileSync(dumpPath, "utf8"), "keep");
  });

  test("abort stops the script and removes the dump", async () => {
    const dumpPath = fresh("dump");
    const ac = new AbortController();
    await assert.rejects(
      writeDump({
        plan: plan("export", "export-slow", disk),
        dumpPath,
        compression: "zstd",
        signal: ac.signal,
        onSpawn: () => ac.abort(),
      }),
      isError("SCRIPT_FAILED"),
    );
    assert.equal(fs.existsSync(dumpPath), false);
  });
  test("a child left holding zstd's input is killed at the deadline: TIMEOUT", async () => {
    const dumpPath = fresh("dump");
    const pidFile = fresh("pid");
    await assert.rejects(
      writeDump({
        plan: plan("export", "export-leftover", disk, { PID_FILE: pidFile }),
        dumpPath,
        compression: "zstd",
        timeoutMs: 500,
      }),
      isError("TIMEOUT", "Cannot export disk/0: timed out after 0.5 s"),
    );
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    await new Promise((r) => setTimeout(r, 50));
    // Gone, or a zombie waiting for a PID 1 that does not reap (as in some containers).
    const state = fs.existsSync(`/proc/${pid}/stat`)
      ? fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "")[0]
      : "gone";
    assert.ok(state === "gone" || state === "Z", `the leftover is in state ${state}`);
    assert.equal(fs.existsSync(dumpPath), false);
  });

  test("zstd's -vv summary gives the exact input size", () => {
    assert.equal(zstdInputBytes("/*stdin*\\  :100.00%   (5000000 B => 5000127 B, /*stdout*\\) \n"), 5000000);
    assert.equal(zstdInputBytes("/*stdin*\\  :  (     0 B =>     13 B, /*stdout*\\) "), 0);
    assert.equal(zstdInputBytes("/*stdin*\\ : 50.00%   (1048576 => 524288 bytes, /*stdout*\\)"), 1048576);
    // Human units are not exact: unknown rather than wrong.
    assert.equal(zstdInputBytes("/*stdin*\\ :100.00%   (  95.4 MiB =>   95.4 MiB, /*stdout*\\)"), null);
  });
});

describe("import failures", () => {
  test("a truncated dump: DUMP_TRUNCATED before the script runs", async () => {
    const { dumpPath, sha256, bytes } = await exported("none");
    fs.truncateSync(dumpPath, bytes - 1);
    const target = fresh("target");
    await assert.rejects(
      readDump({
        plan: plan("import", "import-marked", target),
        dumpPath,
        compression: "none",
        sha256,
        bytes,
      }),
      isError(
        "DUMP_TRUNCATED",
        `Cannot import disk/0: the dump "${dumpPath}" has ${bytes - 1} bytes, the export recorded ${bytes}`,
      ),
    );
    assert.equal(fs.existsSync(`${target}.ran`), false);
  });

  for (const compression of ["none", "zstd"] as const) {
    test(`${compression}: a bit flipped in the dump: DUMP_CHECKSUM`, async () => {
      const { dumpPath, sha256, bytes } = await exported(compression);
      const fd = fs.openSync(dumpPath, "r+");
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, Math.floor(bytes / 3));
      b[0] = b[0]! ^ 0x10;
      fs.writeSync(fd, b, 0, 1, Math.floor(bytes / 3));
      fs.closeSync(fd);
      const actual = sha256sum(dumpPath);
      await assert.rejects(
        readDump({ plan: plan("import", "import", fresh("target")), dumpPath, compression, sha256, bytes }),
        isError(
          "DUMP_CHECKSUM",
          `Cannot import disk/0: the dump "${dumpPath}" has sha256 ${actual}, the export recorded ${sha256}`,
        ),
      );
    });
  }

  test("gzip: a corrupt dump without a recorded checksum: DUMP_CORRUPT", async () => {
    const { dumpPath } = await exported("gzip");
    fs.truncateSync(dumpPath, 1000);
    await assert.rejects(
      readDump({ plan: plan("import", "import", fresh("target")), dumpPath, compression: "gzip" }),
      isError(
        "DUMP_CORRUPT",
        `Cannot import disk/0: the gzip dump "${dumpPath}" cannot be decompressed: unexpected end of file`,
      ),
    );
  });

  for (const compression of ["none", "gzip", "zstd"] as const) {
    test(`${compression}: an import script that exits 0 without reading: IMPORT_UNREAD`, async () => {
      const { dumpPath, sha256, bytes } = await exported(compression);
      const target = fresh("target");
      await assert.rejects(
        readDump({ plan: plan("import", "import-noread", target), dumpPath, compression, sha256, bytes }),
        isError(
          "IMPORT_UNREAD",
          `Cannot import disk/0: the import script exited without reading all of the dump "${dumpPath}"`,
        ),
      );
      assert.equal(fs.existsSync(target), true);
    });
  }

  test("an import script leaving the last 1000 bytes succeeds and says so, as Ganeti's pipe tolerates", async () => {
    const { dumpPath } = await exported("none");
    const out = await readDump({
      plan: plan("import", "import-partial", fresh("target"), { DUMP_SIZE_OF: dumpPath, LEAVE: "1000" }),
      dumpPath,
      compression: "none",
    });
    assert.equal(out.unreadBytes, 1000);
  });

  test("an import script leaving more than a pipe's worth: IMPORT_UNREAD", async () => {
    const { dumpPath } = await exported("none");
    await assert.rejects(
      readDump({
        plan: plan("import", "import-partial", fresh("target"), {
          DUMP_SIZE_OF: dumpPath,
          LEAVE: String(UNREAD_TOLERANCE + 4096),
        }),
        dumpPath,
        compression: "none",
      }),
      isError("IMPORT_UNREAD"),
    );
  });

  test("an import script killed halfway: SCRIPT_FAILED", async () => {
    const { dumpPath, sha256, bytes } = await exported("zstd");
    await assert.rejects(
      readDump({
        plan: plan("import", "import-killed", fresh("target")),
        dumpPath,
        compression: "zstd",
        sha256,
        bytes,
      }),
      isError("SCRIPT_FAILED", /^OS import script failed \(terminated by signal 9\)/),
    );
  });

  test("zstd missing from PATH: TOOL_MISSING, the script does not run", async () => {
    const { dumpPath } = await exported("zstd");
    const empty = fresh("bin");
    fs.mkdirSync(empty);
    const target = fresh("target");
    await assert.rejects(
      readDump({
        plan: plan("import", "import-marked", target),
        dumpPath,
        compression: "zstd",
        toolPath: empty,
      }),
      isError(
        "TOOL_MISSING",
        `Cannot import disk/0 from a zstd dump: the program "zstd" was not found on PATH "${empty}"`,
      ),
    );
    assert.equal(fs.existsSync(`${target}.ran`), false);
  });

  test("a missing dump: DUMP_MISSING", async () => {
    const dumpPath = fresh("nodump");
    await assert.rejects(
      readDump({ plan: plan("import", "import", fresh("target")), dumpPath, compression: "none" }),
      isError("DUMP_MISSING", `Cannot import disk/0: cannot open the dump "${dumpPath}": ENOENT`),
    );
  });
});
