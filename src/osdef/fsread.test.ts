import { mkdtemp, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { MAX_TEXT_BYTES, isDir, probe, readBytes } from "./fsread.js";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "guestos-osdef-fsread-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("readBytes", () => {
  test("reads small and large files whole", async () => {
    const small = join(root, "small");
    await writeFile(small, "20\n");
    const r = readBytes(small);
    assert.ok("bytes" in r);
    assert.equal(Buffer.from(r.bytes).toString(), "20\n");
    const big = join(root, "big");
    const body = Buffer.alloc(200_000, "ab");
    await writeFile(big, body);
    const b = readBytes(big);
    assert.ok("bytes" in b);
    assert.ok(Buffer.from(b.bytes).equals(body));
  });

  test("errors are errno names; the size bound is EFBIG", async () => {
    assert.deepEqual(readBytes(join(root, "missing")), { errno: "ENOENT" });
    assert.deepEqual(readBytes(root), { errno: "EISDIR" });
    const huge = join(root, "huge");
    await writeFile(huge, "");
    await truncate(huge, MAX_TEXT_BYTES);
    assert.deepEqual(readBytes(huge), { errno: "EFBIG" });
    await truncate(huge, MAX_TEXT_BYTES - 1);
    const r = readBytes(huge);
    assert.ok("bytes" in r && r.bytes.length === MAX_TEXT_BYTES - 1);
  });
});

describe("probe / isDir", () => {
  test("stat with symlinks followed, errors as errno names", async () => {
    assert.equal(isDir(root), true);
    assert.equal(isDir(join(root, "missing")), false);
    assert.deepEqual(probe(join(root, "missing")), { errno: "ENOENT" });
    const f = join(root, "file");
    await writeFile(f, "");
    assert.equal(isDir(f), false);
    assert.deepEqual(probe(join(f, "below")), { errno: "ENOTDIR" });
  });
});
