import { execFileSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { isGuestosError } from "../errors.js";
import { API5_HINT } from "./apiversion.js";
import { diagnose, diagnoseRaw, findOs } from "./catalog.js";
import type { OsVerdict } from "./types.js";

const SCRIPT = "#!/bin/sh\nexit 0\n";

/** Writes an OS definition at `dir`: API `api`, all scripts, `extra` files (null removes one, scripts 0644). */
async function writeOs(dir: string, api = "20\n", extra: Record<string, string | null> = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const files: Record<string, string | null> = {
    ganeti_api_version: api,
    "parameters.list": "dhcp use DHCP\nroot-pw\n",
    "variants.list": "default\nminimal\n",
    ...extra,
  };
  for (const s of ["create", "export", "import", "rename", "verify"]) files[s] ??= SCRIPT;
  for (const [name, body] of Object.entries({ ...files, ...extra })) {
    if (body === null) continue;
    await writeFile(join(dir, name), body);
    // Scripts given in `extra` stay 0644: not executable.
    await chmod(join(dir, name), body === SCRIPT && !(name in extra) ? 0o755 : 0o644);
  }
}

/** Ganeti's DiagnoseOS over `dirs`, as JSON tuples. */
function ganetiDiagnose(dirs: string[]): unknown[] {
  const script = `import json, logging, sys
sys.path.insert(0, "/usr/share/ganeti/default")
logging.disable(logging.CRITICAL)
from ganeti import backend
print(json.dumps(backend.DiagnoseOS(top_dirs=json.loads(sys.argv[1]))))`;
  return JSON.parse(
    execFileSync("/usr/bin/python3", ["-c", script, JSON.stringify(dirs)]).toString(),
  ) as unknown[];
}

/** Our verdict in DiagnoseOS's tuple shape. */
function tuple(v: OsVerdict): unknown[] {
  if (!v.valid) return [v.name, v.path, false, v.message, [], [], [], true];
  const params = v.os.parameters.map((p) => (p.description === "" ? [p.name] : [p.name, p.description]));
  return [v.name, v.path, true, "", v.os.variants, params, v.os.apiVersions, v.os.trusted];
}

let root: string;
let d1: string;
let d2: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "guestos-osdef-catalog-"));
  d1 = join(root, "d1");
  d2 = join(root, "d2");
  await writeOs(join(d1, "deb"));
  await writeOs(join(d1, "os-10"), "10\n", { "variants.list": null, "parameters.list": null });
  await writeOs(join(d1, "os-9"), "15\n", { "parameters.list": null });
  await writeOs(join(d1, "old"), "5\n");
  await writeOs(join(d1, "noexport"), "20\n", { export: null });
  await writeOs(join(d1, "badapi"), "ten\n");
  await writeOs(join(d1, "untrusted"), "20\n", { create: null, create_untrusted: SCRIPT });
  await chmod(join(d1, "untrusted", "create_untrusted"), 0o700);
  await writeOs(join(d1, "shared"), "20\n", { rename: "" });
  await writeOs(join(d1, ".hidden"));
  await writeOs(join(d1, "bad.name"));
  await mkdir(join(d1, "lost+found"));
  await writeFile(join(d1, "plain"), "a file\n");
  await symlink(join(d1, "deb"), join(d1, "linked"));
  await symlink("nowhere", join(d1, "dangling"));
  await writeOs(join(d2, "shared"));
  await writeOs(join(d2, "plain"));
  await writeOs(join(d2, "only2"), "15\n20\n");
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("diagnoseRaw", () => {
  test("is Ganeti's DiagnoseOS, entry for entry", async () => {
    const path = [d1, join(root, "missing"), join(d1, "plain"), d2];
    const ours = (await diagnoseRaw(path)).map(tuple);
    assert.deepEqual(ours, ganetiDiagnose(path));
    assert.equal(ours.length, 16);
  });

  test("on / (a mount point: lost+found hidden, FindFile's //name paths) it is still DiagnoseOS", async () => {
    const ours = (await diagnoseRaw(["/"])).map(tuple);
    assert.deepEqual(ours, ganetiDiagnose(["/"]));
  });

  test("lost+found is listed when the search dir is not a mount point", async () => {
    const v = (await diagnoseRaw([d1])).find((x) => x.name === "lost+found");
    assert.deepEqual(v, {
      valid: false,
      name: "lost+found",
      path: join(d1, "lost+found"),
      message: "Directory for OS lost+found not found in search path",
    });
  });

  test("relative and unnormalised search dirs are resolved", async () => {
    const rel = join(root, "d1", "..", "d2");
    const names = (await diagnoseRaw([rel])).map((v) => v.path);
    assert.ok(names.every((p) => p.startsWith(`${d2}/`)));
  });

  test("the API 5 hint rides on the verdict", async () => {
    const v = (await diagnoseRaw([d1])).find((x) => x.name === "old");
    assert.ok(v && !v.valid);
    assert.equal(v.hint, API5_HINT);
  });

  test("many entries (more than one batch) keep their order", async () => {
    const many = join(root, "many");
    await mkdir(many);
    await Promise.all(Array.from({ length: 300 }, (_, i) => mkdir(join(many, `x${i}`))));
    const ours = (await diagnoseRaw([many])).map(tuple);
    assert.deepEqual(ours, ganetiDiagnose([many]));
  });
});

describe("diagnose", () => {
  test("grouped by name in NiceSort order; the first search dir wins even when invalid", async () => {
    const cat = await diagnose([d1, d2]);
    assert.deepEqual(
      cat.map((e) => e.name),
      [
        "bad.name",
        "badapi",
        "dangling",
        "deb",
        "linked",
        "lost+found",
        "noexport",
        "old",
        "only2",
        "os-9",
        "os-10",
        "plain",
        "shared",
        "untrusted",
      ],
    );
    const shared = cat.find((e) => e.name === "shared")!;
    assert.equal(shared.first.valid, false);
    assert.equal(shared.first.path, join(d1, "shared"));
    assert.deepEqual(
      shared.shadowed.map((v) => [v.valid, v.path]),
      [[true, join(d2, "shared")]],
    );
    // DiagnoseOS reports the file first; LUOsDiagnose takes that first entry.
    const plain = cat.find((e) => e.name === "plain")!;
    assert.equal(plain.first.valid, false);
    assert.equal(plain.shadowed[0]!.valid, true);
    assert.deepEqual(cat.find((e) => e.name === "deb")!.shadowed, []);
  });

  test("the same dir twice shadows itself", async () => {
    const cat = await diagnose([d2, d2]);
    assert.ok(cat.every((e) => e.shadowed.length === 1));
  });

  test("an empty search path gives an empty catalog", async () => {
    assert.deepEqual(await diagnose([]), []);
  });
});

describe("findOs", () => {
  test("the first search dir with a directory of that name; the variant is ignored", async () => {
    const os = await findOs("deb+minimal", [join(root, "missing"), d1, d2]);
    assert.equal(os.path, join(d1, "deb"));
    assert.equal(os.name, "deb");
    assert.equal((await findOs("only2", [d1, d2])).path, join(d2, "only2"));
  });

  test("a file of that name is skipped (FindFile tests isdir)", async () => {
    assert.equal((await findOs("plain", [d1, d2])).path, join(d2, "plain"));
  });

  test("an invalid first match is final: OS_INVALID with Ganeti's message", async () => {
    await assert.rejects(findOs("shared", [d1, d2]), (err) => {
      assert.ok(isGuestosError(err, "OS_INVALID"));
      assert.equal(err.message, `File 'rename' under path '${join(d1, "shared")}' is not executable`);
      return true;
    });
    await assert.rejects(findOs("old+x", [d1]), (err) => {
      assert.ok(isGuestosError(err, "OS_INVALID"));
      assert.equal(err.hint, API5_HINT);
      return true;
    });
  });

  test("OS_NOT_FOUND for a missing directory or a refused name", async () => {
    for (const [full, name] of [
      ["nope", "nope"],
      ["bad.name", "bad.name"],
      ["lost+found", "lost"],
      ["", ""],
    ]) {
      await assert.rejects(findOs(full!, [d1, d2]), (err) => {
        assert.ok(isGuestosError(err, "OS_NOT_FOUND"));
        assert.equal(err.message, `Directory for OS ${name} not found in search path`);
        return true;
      });
    }
  });
});
