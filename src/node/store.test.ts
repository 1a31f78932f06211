import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { MIGRATIONS } from "./migrations.js";
import { openStore, storePath } from "./store.js";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "guestos-store-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test("a new store has every migration, WAL and foreign keys", () => {
  const db = openStore(join(root, "new"));
  try {
    assert.equal(db.pragma("user_version", { simple: true }), MIGRATIONS.length);
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(db.pragma("foreign_keys", { simple: true }), 1);
    assert.throws(
      () =>
        db
          .prepare(
            "INSERT INTO disks (uuid, instance_uuid, idx, size, mode, path, adopted) VALUES ('d', 'nosuch', 0, 1, 'rw', '/x', 0)",
          )
          .run(),
      /FOREIGN KEY constraint failed/,
    );
  } finally {
    db.close();
  }
  // Opening again applies nothing and keeps the data.
  const again = openStore(join(root, "new"));
  assert.equal(again.pragma("user_version", { simple: true }), MIGRATIONS.length);
  again.close();
});

test("a store from a newer guestos is refused, not downgraded", () => {
  const home = join(root, "newer");
  openStore(home).close();
  const raw = new Database(storePath(home));
  raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
  raw.close();
  assert.throws(() => openStore(home), {
    code: "STORE_TOO_NEW",
    message: `Cannot open the store "${storePath(home)}": it has schema version ${MIGRATIONS.length + 1}, this guestos knows ${MIGRATIONS.length}`,
  });
});

test("a file that is not a database is STORE_CORRUPT", async () => {
  const home = join(root, "junk");
  openStore(home).close();
  await rm(storePath(home) + "-wal", { force: true });
  await rm(storePath(home) + "-shm", { force: true });
  writeFileSync(storePath(home), "this is not sqlite".repeat(500));
  assert.throws(() => openStore(home), { code: "STORE_CORRUPT" });
});

test("processes creating the same store at once all see one migrated schema", async () => {
  const home = join(root, "race");
  const code = `import { openStore } from ${JSON.stringify(join(import.meta.dirname, "store.ts"))};
const db = openStore(${JSON.stringify(home)}); console.log(db.pragma("user_version", { simple: true })); db.close();`;
  const runs = await Promise.all(
    [1, 2, 3, 4].map(
      () =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
            stdio: ["ignore", "pipe", "inherit"],
          });
          let out = "";
          child.stdout.on("data", (d: Buffer) => (out += d.toString()));
          child.on("error", reject);
          child.on("close", (c) => (c === 0 ? resolve(out.trim()) : reject(new Error(`exit ${c}`))));
        }),
    ),
  );
  assert.deepEqual(runs, Array(4).fill(String(MIGRATIONS.length)));
});
