import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

import { isGuestosError } from "../errors.js";
import { openLogFile } from "./logfile.js";
import { instanceLogName, timestampForFilename } from "./logname.js";

let dir: string;
before(async () => {
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "guestos-logname-"));
});
after(async () => {
  await fs.promises.rm(dir, { recursive: true, force: true });
});

// Local time, as time.strftime uses.
const now = new Date(2024, 0, 5, 7, 8, 9);

describe("instanceLogName", () => {
  test("Ganeti's names", () => {
    assert.equal(timestampForFilename(now), "2024-01-05_07_08_09");
    assert.equal(
      instanceLogName("add", "debootstrap+default", "web1.example.com", { dir: "/var/log/ganeti/os", now }),
      "/var/log/ganeti/os/add-debootstrap+default-web1.example.com-2024-01-05_07_08_09.log",
    );
    assert.equal(
      instanceLogName("rename", "noop", "old-new", { dir: "/l", now }),
      "/l/rename-noop-old-new-2024-01-05_07_08_09.log",
    );
    assert.equal(
      instanceLogName("export", "noop", "i1", { dir: "/l", component: "disk0", now }),
      "/l/export-noop-i1-disk0-2024-01-05_07_08_09.log",
    );
    assert.equal(
      instanceLogName("import", "", "i1", { dir: "/l", component: "", now }),
      "/l/import--i1-2024-01-05_07_08_09.log",
    );
  });

  test("uses the current time by default", () => {
    assert.match(
      instanceLogName("add", "noop", "i1", { dir: "/l" }),
      /^\/l\/add-noop-i1-\d{4}-\d\d-\d\d_\d\d_\d\d_\d\d\.log$/,
    );
  });

  test("rejects a '/' that would leave the log directory", () => {
    for (const [osName, inst, component] of [
      ["noop", "i1", "disk/0"],
      ["../x", "i1", ""],
      ["noop", "a/../../b", ""],
    ] as const) {
      assert.throws(
        () => instanceLogName("export", osName, inst, { dir: "/l", component, now }),
        (err) => isGuestosError(err, "BAD_LOG_NAME"),
      );
    }
  });
});

describe("openLogFile", () => {
  test("creates the directory (0750) and the file (0600, append)", async () => {
    const p = path.join(dir, "new", "os", "add-noop-i1-2024-01-05_07_08_09.log");
    const { path: used, fd } = await openLogFile(p);
    try {
      assert.equal(used, p);
      fs.writeSync(fd, "one\n");
      fs.writeSync(fd, "two\n", 0); // O_APPEND ignores the position
      assert.equal(fs.readFileSync(p, "utf8"), "one\ntwo\n");
      assert.equal(fs.statSync(p).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.dirname(p)).mode & 0o777, 0o750 & ~process.umask());
    } finally {
      fs.closeSync(fd);
    }
  });

  test("adds -1, -2, ... when the name is taken", async () => {
    const p = path.join(dir, "add-noop-i2-2024-01-05_07_08_09.log");
    const a = await openLogFile(p);
    const b = await openLogFile(p);
    const c = await openLogFile(p);
    for (const x of [a, b, c]) fs.closeSync(x.fd);
    assert.deepEqual(
      [a.path, b.path, c.path],
      [p, p.replace(/\.log$/, "-1.log"), p.replace(/\.log$/, "-2.log")],
    );
  });

  test("never follows a planted symlink", async () => {
    const target = path.join(dir, "victim");
    fs.writeFileSync(target, "keep");
    const p = path.join(dir, "add-noop-i3-2024-01-05_07_08_09.log");
    fs.symlinkSync(target, p);
    const { path: used, fd } = await openLogFile(p);
    fs.closeSync(fd);
    assert.equal(used, p.replace(/\.log$/, "-1.log"));
    assert.equal(fs.readFileSync(target, "utf8"), "keep");
  });
});
