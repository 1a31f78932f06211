import { chmod, mkdir, mkdtemp, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { API5_HINT } from "./apiversion.js";
import { loadOs } from "./load.js";
import type { OsVerdict } from "./types.js";

/** A file to create: text (mode 0644), a script (0755), a directory, a symlink or raw bytes. */
type Entry = string | { body?: string | Buffer; mode?: number } | { dir: true } | { link: string };
const script = (mode = 0o755): Entry => ({ body: "#!/bin/sh\nexit 0\n", mode });

const API20: Record<string, Entry> = {
  ganeti_api_version: "20\n",
  create: script(),
  export: script(),
  import: script(),
  rename: script(),
  verify: script(),
  "parameters.list": "",
};

let root: string;
let counter = 0;

/** Writes an OS dir `<root>/<base>/<name>` from API20 plus `changes` (null removes a file); returns the base. */
async function writeOs(
  name: string,
  changes: Record<string, Entry | null> = {},
  start = API20,
): Promise<string> {
  const base = join(root, `b${counter++}`);
  const dir = join(base, name);
  await mkdir(dir, { recursive: true });
  for (const [file, entry] of Object.entries({ ...start, ...changes })) {
    const path = join(dir, file);
    if (entry === null) continue;
    if (typeof entry === "string") await writeFile(path, entry);
    else if ("dir" in entry) await mkdir(path);
    else if ("link" in entry) await symlink(entry.link, path);
    else {
      await writeFile(path, entry.body ?? "");
      await chmod(path, entry.mode ?? 0o644);
    }
  }
  return base;
}

async function verdict(
  changes: Record<string, Entry | null>,
  start = API20,
  name = "os",
): Promise<OsVerdict> {
  return loadOs(name, await writeOs(name, changes, start));
}

async function message(changes: Record<string, Entry | null>, start = API20): Promise<[string, string]> {
  const v = await verdict(changes, start);
  assert.equal(v.valid, false, "expected an invalid OS");
  return [v.valid ? "" : v.message, v.path];
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "guestos-osdef-load-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("loadOs: a valid definition", () => {
  test("API 20 with everything", async () => {
    const base = await writeOs("deb", {
      ganeti_api_version: "10\n20\n15\n20\n",
      "variants.list": "default\n# old\nminimal\n",
      "parameters.list": "dhcp use DHCP\nroot-pw\n",
    });
    const v = await loadOs("deb", base);
    const dir = join(base, "deb");
    assert.deepEqual(v, {
      valid: true,
      name: "deb",
      path: dir,
      os: {
        name: "deb",
        path: dir,
        apiVersions: [10, 20, 15, 20],
        declaredMax: 20,
        apiVersion: 20,
        scripts: {
          create: `${dir}/create`,
          createUntrusted: null,
          export: `${dir}/export`,
          import: `${dir}/import`,
          rename: `${dir}/rename`,
          verify: `${dir}/verify`,
        },
        variants: ["default", "minimal"],
        parameters: [
          { name: "dhcp", description: "use DHCP" },
          { name: "root-pw", description: "" },
        ],
        trusted: true,
      },
    });
  });

  test("API 10: verify, variants.list and parameters.list are not looked at", async () => {
    const v = await verdict({
      ganeti_api_version: "10",
      verify: { dir: true },
      "variants.list": { dir: true },
      "parameters.list": null,
    });
    assert.ok(v.valid);
    assert.equal(v.os.scripts.verify, null);
    assert.deepEqual(v.os.variants, []);
    assert.deepEqual(v.os.parameters, []);
  });

  test("API 15: variants read, verify ignored, parameters not read", async () => {
    const v = await verdict({
      ganeti_api_version: "15",
      verify: null,
      "variants.list": "a\nb",
      "parameters.list": "x y",
    });
    assert.ok(v.valid);
    assert.deepEqual([v.os.variants, v.os.parameters, v.os.scripts.verify], [["a", "b"], [], null]);
  });

  test("declared max decides the files, the supported max is the API version", async () => {
    const v = await verdict({ ganeti_api_version: "15\n25\n" });
    assert.ok(v.valid);
    assert.deepEqual([v.os.apiVersion, v.os.declaredMax, v.os.apiVersions], [15, 25, [15, 25]]);
    const [m, dir] = await message({ ganeti_api_version: "15\n25\n", verify: null });
    assert.equal(m, `File 'verify' under path '${dir}' is missing (ENOENT)`);
  });

  test("create_untrusted makes it untrusted, with or without create", async () => {
    const only = await verdict({ create: null, create_untrusted: script() });
    assert.ok(only.valid);
    assert.deepEqual([only.os.trusted, only.os.scripts.create], [false, null]);
    const both = await verdict({ create_untrusted: script() });
    assert.ok(both.valid);
    assert.equal(both.os.trusted, false);
  });

  test("symlinks are followed; only the owner-execute bit counts", async () => {
    const base = await writeOs("real");
    const v = await verdict({
      ganeti_api_version: { link: join(base, "real", "ganeti_api_version") },
      create: { link: join(base, "real", "create") },
      export: script(0o100),
      rename: { link: "import" },
    });
    assert.equal(v.valid, true);
  });

  test("an empty or missing variants.list means no variants", async () => {
    for (const variants of ["", "\n# none\n", null]) {
      const v = await verdict({ "variants.list": variants });
      assert.ok(v.valid);
      assert.deepEqual(v.os.variants, []);
    }
  });
});

describe("loadOs: Ganeti's verdicts, first failure wins", () => {
  test("not a directory, or a name the mask refuses", async () => {
    const base = await writeOs("os");
    await writeFile(join(base, "file"), "");
    for (const name of ["file", "missing", "a.b", "lost+found", "deb+v"]) {
      assert.deepEqual(await loadOs(name, base), {
        valid: false,
        name,
        path: join(base, name),
        message: `Directory for OS ${name} not found in search path`,
      });
    }
  });

  test("ganeti_api_version", async () => {
    let [m, dir] = await message({ ganeti_api_version: null });
    assert.equal(m, `Required file 'ganeti_api_version' not found under path ${dir}: ENOENT`);
    [m, dir] = await message({ ganeti_api_version: { link: "nowhere" } });
    assert.equal(m, `Required file 'ganeti_api_version' not found under path ${dir}: ENOENT`);
    [m, dir] = await message({ ganeti_api_version: { link: "ganeti_api_version" } });
    assert.equal(m, `Required file 'ganeti_api_version' not found under path ${dir}: ELOOP`);
    [m, dir] = await message({ ganeti_api_version: { dir: true } });
    assert.equal(m, `File 'ganeti_api_version' in ${dir} is not a regular file`);
    [m] = await message({ ganeti_api_version: "ten\n" });
    assert.equal(
      m,
      "API version(s) can't be converted to integer: invalid literal for int() with base 10: 'ten'",
    );
    [m] = await message({ ganeti_api_version: "20\n\n" });
    assert.equal(
      m,
      "API version(s) can't be converted to integer: invalid literal for int() with base 10: ''",
    );
    [m, dir] = await message({ ganeti_api_version: "30\n" });
    assert.equal(m, `API version mismatch for path '${dir}': found [30], want frozenset({10, 20, 15}).`);
    [m, dir] = await message({ ganeti_api_version: "" });
    assert.equal(m, `API version mismatch for path '${dir}': found [], want frozenset({10, 20, 15}).`);
  });

  test("API 5 only: Ganeti's mismatch plus the upgrade hint", async () => {
    const v = await verdict({ ganeti_api_version: "5\n" });
    assert.ok(!v.valid);
    assert.equal(
      v.message,
      `API version mismatch for path '${v.path}': found [5], want frozenset({10, 20, 15}).`,
    );
    assert.equal(v.hint, API5_HINT);
    const other = await verdict({ ganeti_api_version: "30\n" });
    assert.ok(!other.valid && other.hint === undefined && !("hint" in other));
  });

  test("scripts: missing, not regular, not executable, in OS_SCRIPTS order", async () => {
    let [m, dir] = await message({ export: null });
    assert.equal(m, `File 'export' under path '${dir}' is missing (ENOENT)`);
    [m, dir] = await message({ import: { dir: true } });
    assert.equal(m, `File 'import' under path '${dir}' is not a regular file`);
    [m, dir] = await message({ rename: script(0o655) });
    assert.equal(m, `File 'rename' under path '${dir}' is not executable`);
    [m, dir] = await message({ create: script(0o644), export: null });
    assert.equal(m, `File 'create' under path '${dir}' is not executable`);
    [m, dir] = await message({ create_untrusted: { dir: true }, export: null });
    assert.equal(m, `File 'create_untrusted' under path '${dir}' is not a regular file`);
    [m, dir] = await message({ create_untrusted: { link: "create_untrusted" } });
    assert.equal(m, `File 'create_untrusted' under path '${dir}' is missing (ELOOP)`);
    [m, dir] = await message({ verify: null });
    assert.equal(m, `File 'verify' under path '${dir}' is missing (ENOENT)`);
    [m, dir] = await message({ verify: "not executable" });
    assert.equal(m, `File 'verify' under path '${dir}' is not executable`);
  });

  test("a create script must exist, checked after the other scripts", async () => {
    let [m, dir] = await message({ create: null });
    assert.equal(m, `A create script (trusted or untrusted) under path '${dir}' must exist`);
    [m, dir] = await message({ create: null, rename: null });
    assert.equal(m, `File 'rename' under path '${dir}' is missing (ENOENT)`);
  });

  test("variants.list and parameters.list", async () => {
    let [m, dir] = await message({ "variants.list": { dir: true } });
    assert.equal(m, `File 'variants.list' under path '${dir}' is not a regular file`);
    [m, dir] = await message({ "parameters.list": null });
    assert.equal(m, `File 'parameters.list' under path '${dir}' is missing (ENOENT)`);
    [m, dir] = await message({ "parameters.list": { dir: true }, "variants.list": { dir: true } });
    assert.equal(m, `File 'variants.list' under path '${dir}' is not a regular file`);
    const v = await verdict({ "variants.list": "\u00e9t\u00e9\n" });
    assert.ok(v.valid);
    assert.deepEqual(v.os.variants, ["\u00e9t\u00e9"]);
  });

  test("text that is not UTF-8: Python's decode error in the read-error message", async () => {
    let [m, dir] = await message({ ganeti_api_version: { body: Buffer.from([0x32, 0x30, 0xff]) } });
    assert.equal(
      m,
      `Error while reading the API version file at ${dir}/ganeti_api_version: ` +
        "'utf-8' codec can't decode byte 0xff in position 2: invalid start byte",
    );
    [m, dir] = await message({ "variants.list": { body: Buffer.from([0xc3]) } });
    assert.equal(
      m,
      `Error while reading the OS variants file at ${dir}/variants.list: ` +
        "'utf-8' codec can't decode byte 0xc3 in position 0: unexpected end of data",
    );
    [m, dir] = await message({ "parameters.list": { body: Buffer.from([0x61, 0x80]) } });
    assert.equal(
      m,
      `Error while reading the OS parameters file at ${dir}/parameters.list: ` +
        "'utf-8' codec can't decode byte 0x80 in position 1: invalid start byte",
    );
  });

  test("oversized text files fail with EFBIG instead of being read", async () => {
    const base = await writeOs("big");
    const file = join(base, "big", "parameters.list");
    await truncate(file, 16 * 1024 * 1024);
    const v = await loadOs("big", base);
    assert.ok(!v.valid);
    assert.equal(v.message, `Error while reading the OS parameters file at ${file}: EFBIG`);
  });

  test("a FIFO is not a regular file and is never opened", async () => {
    const { execFileSync } = await import("node:child_process");
    const base = await writeOs("fifo", { "parameters.list": null });
    execFileSync("mkfifo", [join(base, "fifo", "parameters.list")]);
    const v = await loadOs("fifo", base);
    assert.ok(!v.valid);
    assert.equal(
      v.message,
      `File 'parameters.list' under path '${join(base, "fifo")}' is not a regular file`,
    );
  });
});
