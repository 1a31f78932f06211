import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { GuestosError } from "../errors.js";
import { sha256File, startHash } from "./hash.js";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "guestos-hash-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

describe("startHash", () => {
  test("a whole file, in chunks smaller than the file", async () => {
    const data = randomBytes(300_000);
    const path = join(root, "whole");
    fs.writeFileSync(path, data);
    assert.equal(await sha256File(path, { chunkBytes: 4096 }), sha(data));
  });

  test("follows a file while it is written, until told its final size", async () => {
    const path = join(root, "growing");
    const fd = fs.openSync(path, "wx+");
    try {
      const job = startHash(fd, { chunkBytes: 1000 });
      const parts: Buffer[] = [];
      for (let i = 0; i < 20; i++) {
        const part = randomBytes(777 * (i + 1));
        fs.writeSync(fd, part);
        parts.push(part);
        await tick();
      }
      const all = Buffer.concat(parts);
      job.end(all.length);
      assert.deepEqual(await job.done, { sha256: sha(all), bytes: all.length });
      assert.equal(job.position(), all.length);
    } finally {
      fs.closeSync(fd);
    }
  });

  test("an empty file", async () => {
    const path = join(root, "empty");
    fs.writeFileSync(path, "");
    assert.equal(await sha256File(path), sha(Buffer.alloc(0)));
  });

  test("a file shorter than its announced size fails", async () => {
    const path = join(root, "short");
    fs.writeFileSync(path, "12345");
    const fd = fs.openSync(path, "r");
    try {
      await assert.rejects(
        startHash(fd, { size: 10, label: path }).done,
        (err: unknown) =>
          err instanceof GuestosError &&
          err.code === "HASH_FAILED" &&
          err.message === `Cannot hash "${path}": it ends at 5 bytes, expected 10`,
      );
    } finally {
      fs.closeSync(fd);
    }
  });

  test("abort stops a worker waiting for more data", async () => {
    const path = join(root, "abort");
    fs.writeFileSync(path, "abc");
    const fd = fs.openSync(path, "r");
    try {
      const job = startHash(fd, { label: path });
      await tick();
      job.abort();
      await assert.rejects(job.done, (err: unknown) => err instanceof GuestosError && err.code === "ABORTED");
    } finally {
      fs.closeSync(fd);
    }
  });

  test("a missing file", async () => {
    await assert.rejects(
      sha256File(join(root, "nope")),
      (err: unknown) =>
        err instanceof GuestosError && err.code === "HASH_FAILED" && /ENOENT/.test(err.message),
    );
  });
});
