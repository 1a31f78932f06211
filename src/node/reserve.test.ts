import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GuestosError } from "../errors.js";
import { ensureReserve, isDiskFull, releaseReserve, withReserve } from "./reserve.js";

test("the reserve holds real blocks, is released once, and a full-disk failure is retried once", async () => {
  const home = await mkdtemp(join(tmpdir(), "guestos-reserve-"));
  try {
    assert.equal(ensureReserve(home), true);
    const st = statSync(join(home, ".space-reserve"));
    assert.equal(st.size, 2 * 1024 * 1024);
    assert.ok(st.blocks * 512 >= st.size, "not sparse");
    assert.equal(ensureReserve(home), true, "already there");

    let calls = 0;
    const full = new GuestosError("STORE_FULL", "full");
    assert.equal(
      withReserve(home, () => {
        calls++;
        if (calls === 1) throw full;
        return "done";
      }),
      "done",
    );
    assert.equal(calls, 2);
    assert.equal(existsSync(join(home, ".space-reserve")), false);
    // No reserve left: the second failure is the caller's.
    assert.throws(
      () =>
        withReserve(home, () => {
          throw full;
        }),
      full,
    );
    assert.equal(releaseReserve(home), false);
    // Other errors are never retried.
    ensureReserve(home);
    const other = new Error("boom");
    assert.throws(
      () =>
        withReserve(home, () => {
          throw other;
        }),
      other,
    );
    assert.equal(existsSync(join(home, ".space-reserve")), true);

    assert.equal(isDiskFull(Object.assign(new Error("x"), { code: "SQLITE_FULL" })), true);
    assert.equal(isDiskFull(Object.assign(new Error("x"), { code: "SQLITE_IOERR_SHMSIZE" })), true);
    assert.equal(isDiskFull(Object.assign(new Error("x"), { code: "SQLITE_BUSY" })), false);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
