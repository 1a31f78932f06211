import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { isGuestosError } from "../errors.js";
import type { OsDefinition } from "./types.js";
import { checkParameters, validateOs } from "./validate.js";

const OK = "#!/bin/sh\nexit 0\n";
/** A verify script (Node, by absolute path: the script's PATH has no node) that records what it received. */
const RECORDER = `#!${process.execPath}
require("node:fs").writeFileSync(process.env.OSP_OUT, JSON.stringify({ argv: process.argv.slice(1), cwd: process.cwd(), env: process.env }));
`;

let root: string;
let osdir: string;

/** Writes OS `name` under osdir: API `api`, `verify` body, variants and parameters lists. */
async function writeOs(
  name: string,
  opts: { api?: string; verify?: string; variants?: string; params?: string },
) {
  const dir = join(osdir, name);
  await mkdir(dir, { recursive: true });
  const scripts: Record<string, string> = {
    create: OK,
    export: OK,
    import: OK,
    rename: OK,
    verify: opts.verify ?? OK,
  };
  for (const [s, body] of Object.entries(scripts)) {
    await writeFile(join(dir, s), body);
    await chmod(join(dir, s), 0o755);
  }
  await writeFile(join(dir, "ganeti_api_version"), opts.api ?? "20\n");
  await writeFile(join(dir, "parameters.list"), opts.params ?? "out where verify reports\n");
  if (opts.variants !== undefined) await writeFile(join(dir, "variants.list"), opts.variants);
  return dir;
}

async function rejectsWith(p: Promise<unknown>, code: string, message: string): Promise<void> {
  await assert.rejects(p, (err) => {
    assert.ok(isGuestosError(err, code), String(err));
    assert.equal(err.message, message);
    return true;
  });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "guestos-osdef-validate-"));
  osdir = join(root, "os");
  await writeOs("plain", { verify: RECORDER });
  await writeOs("variants", { verify: RECORDER, variants: "default\nmin\n" });
  await writeOs("old", { api: "15\n", verify: "#!/bin/sh\ntouch ran\nexit 1\n" });
  await writeOs("fails", { verify: "#!/bin/sh\necho out\necho err >&2\necho more\nexit 3\n" });
  await writeOs("killed", { verify: "#!/bin/sh\nkill -9 $$\n" });
  await writeOs("slow", { verify: "#!/bin/sh\nexec sleep 30\n" });
  await writeOs("broken", { api: "5\n" });
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("checkParameters", () => {
  const os = {
    name: "deb",
    parameters: [
      { name: "a", description: "" },
      { name: "B", description: "x" },
    ],
  } as OsDefinition;
  test("every name must be declared; the unknown ones are listed sorted", () => {
    checkParameters(os, ["a", "B", "a"]);
    checkParameters(os, []);
    assert.throws(() => checkParameters(os, ["z", "b", "a", "os-image", "x10", "x9"]), {
      code: "OS_PARAMETERS",
      message: "The following parameters are not supported by the OS deb: b, os-image, x9, x10, z",
    });
  });
});

describe("validateOs", () => {
  test("runs `verify parameters` in the OS dir with the core environment only", async () => {
    const out = join(root, "plain.json");
    const os = await validateOs("plain", { searchPath: [osdir], osparams: { out } });
    assert.equal(os.path, join(osdir, "plain"));
    const seen = JSON.parse(await readFile(out, "utf8")) as {
      argv: string[];
      cwd: string;
      env: Record<string, string>;
    };
    assert.deepEqual(seen.argv, [join(osdir, "plain", "verify"), "parameters"]);
    assert.equal(seen.cwd, join(osdir, "plain"));
    assert.deepEqual(seen.env, {
      OS_API_VERSION: "20",
      OS_NAME: "plain",
      DEBUG_LEVEL: "0",
      OS_VARIANT: "",
      OSP_OUT: out,
      PATH: "/sbin:/bin:/usr/sbin:/usr/bin",
    });
  });

  test("OS_VARIANT comes from the name, else the default variant", async () => {
    const out = join(root, "variants.json");
    await validateOs("variants+min", { searchPath: [osdir], osparams: { out } });
    let env = (JSON.parse(await readFile(out, "utf8")) as { env: Record<string, string> }).env;
    assert.equal(env.OS_VARIANT, "min");
    await validateOs("variants", { searchPath: [osdir], osparams: { out }, forceVariant: true });
    env = (JSON.parse(await readFile(out, "utf8")) as { env: Record<string, string> }).env;
    assert.equal(env.OS_VARIANT, "default");
  });

  test("variant check unless forced", async () => {
    const searchPath = [osdir];
    await rejectsWith(
      validateOs("variants", { searchPath, osparams: {} }),
      "OS_VARIANT",
      "OS name 'variants' must include a variant",
    );
    await rejectsWith(
      validateOs("plain+x", { searchPath, osparams: {} }),
      "OS_VARIANT",
      "OS 'plain' does not support variants ('x' passed)",
    );
    await validateOs("plain+x", {
      searchPath,
      osparams: { out: join(root, "forced.json") },
      forceVariant: true,
    });
  });

  test("undeclared parameters fail before verify runs", async () => {
    await rejectsWith(
      validateOs("plain", {
        searchPath: [osdir],
        osparams: { out: join(root, "never.json"), zeta: "1", alpha: "2" },
      }),
      "OS_PARAMETERS",
      "The following parameters are not supported by the OS plain: alpha, zeta",
    );
    await assert.rejects(readFile(join(root, "never.json")), { code: "ENOENT" });
  });

  test("below API 20: any parameters, no verify run", async () => {
    const os = await validateOs("old", { searchPath: [osdir], osparams: { anything: "x" } });
    assert.equal(os.declaredMax, 15);
    await assert.rejects(readFile(join(osdir, "old", "ran")), { code: "ENOENT" });
  });

  test("a failing verify: Ganeti's message with stdout then stderr", async () => {
    await rejectsWith(
      validateOs("fails", { searchPath: [osdir], osparams: {} }),
      "OS_VERIFY_FAILED",
      "OS validation script failed (exited with exit code 3), output: out\nmore\nerr\n",
    );
    await rejectsWith(
      validateOs("killed", { searchPath: [osdir], osparams: {} }),
      "OS_VERIFY_FAILED",
      "OS validation script failed (terminated by signal 9), output: ",
    );
  });

  test("a timeout stops verify and fails validation", async () => {
    await rejectsWith(
      validateOs("slow", { searchPath: [osdir], osparams: {}, timeoutMs: 200 }),
      "OS_VERIFY_FAILED",
      "OS validation script failed (terminated by signal 15, terminated after timeout of 0.20 seconds), output: ",
    );
  });

  test("discovery errors: OS_NOT_FOUND and OS_INVALID", async () => {
    await rejectsWith(
      validateOs("nope+x", { searchPath: [osdir], osparams: {} }),
      "OS_NOT_FOUND",
      "Directory for OS nope not found in search path",
    );
    await rejectsWith(
      validateOs("broken", { searchPath: [osdir], osparams: {} }),
      "OS_INVALID",
      `API version mismatch for path '${join(osdir, "broken")}': found [5], want frozenset({10, 20, 15}).`,
    );
  });
});
