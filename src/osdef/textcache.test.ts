import { chmod, mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadOs } from "./load.js";
import { cachedText, clearTextCache, rememberText } from "./textcache.js";

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "guestos-osdef-cache-"));
});
afterEach(() => clearTextCache());
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("text cache", () => {
  test("a settled file is served while its stat signature holds", async () => {
    const f = join(root, "a");
    await writeFile(f, "20\n");
    const st = await stat(f);
    rememberText(f, st, "20\n", st.ctimeMs + 1000);
    assert.equal(cachedText(f, await stat(f)), "20\n");
    await writeFile(f, "20\n15\n");
    assert.equal(cachedText(f, await stat(f)), undefined);
    // A miss forgets the entry for good.
    assert.equal(cachedText(f, st), undefined);
  });

  test("fresh, future-dated and big files are not remembered", async () => {
    const f = join(root, "b");
    await writeFile(f, "x");
    let st = await stat(f);
    rememberText(f, st, "x", st.ctimeMs + 50);
    assert.equal(cachedText(f, st), undefined);
    const big = join(root, "big");
    await writeFile(big, Buffer.alloc(64 * 1024 + 1));
    st = await stat(big);
    rememberText(big, st, "y", st.ctimeMs + 1000);
    assert.equal(cachedText(big, st), undefined);
  });

  test("loadOs uses it, and a changed file is read again", async () => {
    const dir = join(root, "os", "deb");
    await mkdir(dir, { recursive: true });
    for (const s of ["create", "export", "import", "rename", "verify"]) {
      await writeFile(join(dir, s), "#!/bin/sh\n");
      await chmod(join(dir, s), 0o755);
    }
    await writeFile(join(dir, "ganeti_api_version"), "20\n");
    const params = join(dir, "parameters.list");
    await writeFile(params, "real one\n");
    const st = await stat(params);
    // Pretend the file was read long ago with other content: only the cache can produce this answer.
    rememberText(params, st, "cached two\n", st.ctimeMs + 1000);
    let v = await loadOs("deb", join(root, "os"));
    assert.ok(v.valid);
    assert.deepEqual(v.os.parameters, [{ name: "cached", description: "two" }]);
    await writeFile(params, "real one, changed\n");
    v = await loadOs("deb", join(root, "os"));
    assert.ok(v.valid);
    assert.deepEqual(v.os.parameters, [{ name: "real", description: "one, changed" }]);
  });
});
