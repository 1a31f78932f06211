/**
 * `guestos os list|diagnose|info|validate` as whole processes over small OS definitions written in a temp
 * dir: exact stdout, stderr and exit codes.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { dir, file, script, writeNode, type FsNode } from "../fixtures/fstree.js";
import { guestos, type CliResult } from "../interop/cli.js";

const OK = script();
const BASE = { create: OK, export: OK, import: OK, rename: OK };

// verify rejects a greeting holding "bad", writing to both streams (Ganeti reports stdout then stderr).
const VERIFY = script(
  0o755,
  'case "$OSP_GREETING" in\n' +
    '  *bad*) echo "greeting rejected: $OSP_GREETING"; echo "on stderr" >&2; exit 1 ;;\n' +
    "esac\n" +
    "exit 0\n",
);

/** Search dir 1: alpha (API 20), old (API 10), broken (no ganeti_api_version). */
const S1: Record<string, FsNode> = {
  alpha: dir({
    ...BASE,
    ganeti_api_version: file("20\n15\n"),
    verify: VERIFY,
    "variants.list": file("minimal\ndefault\n"),
    "parameters.list": file("greeting Text for the banner\nsize The size\n"),
  }),
  old: dir({ ...BASE, ganeti_api_version: file("10\n") }),
  broken: dir({ ...BASE }),
};

/** Search dir 2: a copy of alpha (shadowed when after S1) and beta (API 15, NiceSorted variants). */
const S2: Record<string, FsNode> = {
  alpha: dir({ ...BASE, ganeti_api_version: file("10\n") }),
  beta: dir({ ...BASE, ganeti_api_version: file("15\n"), "variants.list": file("v10\nv2\nv1\n") }),
};

const NODE = hostname();

let root: string;
let s1: string;
let s2: string;
let empty: string;

/** The child's environment: ours without GUESTOS_OS_SEARCH_PATH, a private home, plus `extra`. */
const envWith = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  GUESTOS_OS_SEARCH_PATH: undefined,
  GUESTOS_HOME: join(root, "home"),
  ...extra,
});

/** `guestos os ARGS --search-path PATH`. */
const os = (path: string, ...args: string[]): Promise<CliResult> =>
  guestos(["os", ...args, "--search-path", path], { env: envWith() });

/** Exit code, stdout and stderr in one comparison, so a failure shows all three. */
function expectRun(r: CliResult, code: number, stdout: string, stderr = ""): void {
  assert.deepEqual({ code: r.code, stdout: r.stdout, stderr: r.stderr }, { code, stdout, stderr });
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), "guestos-cli-os-"));
  s1 = join(root, "s1");
  s2 = join(root, "s2");
  empty = join(root, "empty");
  await writeNode(s1, dir(S1));
  await writeNode(s2, dir(S2));
  await writeNode(empty, dir());
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("guestos os list", () => {
  test("valid OSes as name+variant under a padded Name header", async () => {
    const r = await os(`${s1}:${s2}`, "list");
    expectRun(
      r,
      0,
      ["Name         ", "alpha+default", "alpha+minimal", "beta+v1", "beta+v2", "beta+v10", "old", ""].join(
        "\n",
      ),
    );
  });

  test("--no-headers", async () => {
    const r = await os(`${s1}:${s2}`, "list", "--no-headers");
    expectRun(r, 0, "alpha+default\nalpha+minimal\nbeta+v1\nbeta+v2\nbeta+v10\nold\n");
  });

  test("--json", async () => {
    const r = await os(`${s1}:${s2}`, "list", "--json");
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), [
      "alpha+default",
      "alpha+minimal",
      "beta+v1",
      "beta+v2",
      "beta+v10",
      "old",
    ]);
  });

  test("an empty search dir: the header alone", async () => {
    expectRun(await os(empty, "list"), 0, "Name\n");
    expectRun(await os(empty, "list", "--no-headers"), 0, "");
  });
});

describe("guestos os diagnose", () => {
  test("an invalid OS: every OS with its status, exit 1", async () => {
    const r = await os(`${s1}:${s2}`, "diagnose");
    expectRun(
      r,
      1,
      [
        "OS: alpha [global status: valid]",
        "  Variants: [default, minimal]",
        `  Node: ${NODE}, status: valid (path: ${s1}/alpha) [API versions: 20, 15] [variants: minimal, default] ` +
          "[parameters: greeting, size] [trusted]",
        `    [hidden] path: ${s2}/alpha, status: valid`,
        "",
        "OS: beta [global status: valid]",
        "  Variants: [v1, v2, v10]",
        `  Node: ${NODE}, status: valid (path: ${s2}/beta) [API versions: 15] [variants: v10, v2, v1] [trusted]`,
        "",
        "OS: broken [global status: invalid]",
        `  Node: ${NODE}, status: invalid - Required file 'ganeti_api_version' not found under path ` +
          `${s1}/broken: ENOENT (path: ${s1}/broken) [no API versions declared] [trusted]`,
        "",
        "OS: old [global status: valid]",
        `  Node: ${NODE}, status: valid (path: ${s1}/old) [API versions: 10] [trusted]`,
        "",
        "",
      ].join("\n"),
    );
  });

  test("all valid: exit 0", async () => {
    const r = await os(s2, "diagnose");
    assert.equal(r.code, 0);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /^OS: alpha \[global status: valid\]\n/);
  });

  test("no OS at all: nothing, exit 0", async () => {
    expectRun(await os(empty, "diagnose"), 0, "");
  });

  test("--json: one object per OS with its shadowed copies; the exit code still says invalid", async () => {
    const r = await os(`${s1}:${s2}`, "diagnose", "--json");
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "");
    assert.deepEqual(JSON.parse(r.stdout), [
      {
        name: "alpha",
        path: `${s1}/alpha`,
        status: "valid",
        message: "",
        apiVersions: [20, 15],
        variants: ["minimal", "default"],
        parameters: [
          { name: "greeting", description: "Text for the banner" },
          { name: "size", description: "The size" },
        ],
        trusted: true,
        shadowed: [{ path: `${s2}/alpha`, status: "valid", message: "" }],
      },
      {
        name: "beta",
        path: `${s2}/beta`,
        status: "valid",
        message: "",
        apiVersions: [15],
        variants: ["v10", "v2", "v1"],
        parameters: [],
        trusted: true,
        shadowed: [],
      },
      {
        name: "broken",
        path: `${s1}/broken`,
        status: "invalid",
        message: `Required file 'ganeti_api_version' not found under path ${s1}/broken: ENOENT`,
        apiVersions: [],
        variants: [],
        parameters: [],
        trusted: true,
        shadowed: [],
      },
      {
        name: "old",
        path: `${s1}/old`,
        status: "valid",
        message: "",
        apiVersions: [10],
        variants: [],
        parameters: [],
        trusted: true,
        shadowed: [],
      },
    ]);
  });
});

const ALPHA_INFO = [
  "alpha:",
  "  - valid: True",
  "  - hidden: False",
  "  - blacklisted: False",
  "  - API versions:",
  "    - 15",
  "    - 20",
  "  - variants:",
  "    - default",
  "    - minimal",
  "  - parameters:",
  "    - greeting: Text for the banner",
  "    - size: The size",
  "  - trusted: True",
  "",
];

describe("guestos os info", () => {
  test("one OS by name", async () => {
    expectRun(await os(s1, "info", "alpha"), 0, [...ALPHA_INFO, ""].join("\n"));
  });

  test("the show alias, an invalid OS and an unknown name (exit 0, as gnt-os info)", async () => {
    const r = await os(s1, "show", "nosuch", "broken", "alpha");
    expectRun(
      r,
      0,
      [
        ...ALPHA_INFO,
        "broken:",
        "  - valid: False",
        "  - hidden: False",
        "  - blacklisted: False",
        "  - trusted: True",
        "",
        "nosuch: ",
        "",
        "",
      ].join("\n"),
    );
  });

  test("every OS without names", async () => {
    const r = await os(s1, "info");
    assert.equal(r.code, 0);
    assert.deepEqual(
      r.stdout.split("\n").filter((l) => /^\S/.test(l)),
      ["alpha:", "broken:", "old:"],
    );
  });

  test("--json: the diagnose objects of the named OSes", async () => {
    const r = await os(s1, "info", "old", "nosuch", "--json");
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), [
      {
        name: "old",
        path: `${s1}/old`,
        status: "valid",
        message: "",
        apiVersions: [10],
        variants: [],
        parameters: [],
        trusted: true,
        shadowed: [],
      },
    ]);
  });
});

describe("guestos os validate", () => {
  test("accepted: a variant and a declared parameter that verify accepts", async () => {
    const r = await os(s1, "validate", "alpha+minimal", "-O", "greeting=hi\\, there");
    expectRun(r, 0, `OS alpha+minimal (${s1}/alpha) accepts the given parameters\n`);
  });

  test("accepted, --json", async () => {
    const r = await os(s1, "validate", "alpha+default", "--os-parameters", "greeting=hi,size=1", "--json");
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), {
      os: "alpha+default",
      path: `${s1}/alpha`,
      valid: true,
      parameters: ["greeting", "size"],
    });
  });

  test("below API 20 any parameter is accepted and verify is not needed", async () => {
    expectRun(
      await os(s1, "validate", "old", "-O", "anything=1"),
      0,
      `OS old (${s1}/old) accepts the given parameters\n`,
    );
  });

  // Messages are functions: the temp dirs exist only once `before` has run.
  const failures: [string, string[], () => string][] = [
    ["an unknown variant", ["alpha+nosuch"], () => "OS 'alpha' does not support variant 'nosuch'"],
    ["no variant where variants exist", ["alpha"], () => "OS name 'alpha' must include a variant"],
    ["a variant where there are none", ["old+x"], () => "OS 'old' does not support variants ('x' passed)"],
    [
      "an undeclared parameter",
      ["alpha+default", "-O", "greeting=hi,colour=blue,alpha=1"],
      () => "The following parameters are not supported by the OS alpha: alpha, colour",
    ],
    [
      "verify rejecting the parameters (its stdout, then its stderr)",
      ["alpha+default", "-O", "greeting=very bad"],
      () =>
        "OS validation script failed (exited with exit code 1), output: greeting rejected: very bad\non stderr\n",
    ],
    [
      "-O without a value",
      ["alpha+default", "-O", "greeting=hi,x"],
      () => "Missing value for key 'x' in option -O",
    ],
    [
      "-O with a duplicate key",
      ["alpha+default", "-O", "greeting=a,greeting=b"],
      () => "Duplicate key 'greeting' in option -O",
    ],
    ["an unknown OS", ["nosuch"], () => "Directory for OS nosuch not found in search path"],
    [
      "an invalid OS",
      ["broken"],
      () => `Required file 'ganeti_api_version' not found under path ${s1}/broken: ENOENT`,
    ],
  ];
  for (const [what, args, message] of failures) {
    test(`rejected: ${what}`, async () => {
      const r = await os(s1, "validate", ...args);
      expectRun(r, 1, "", `Error: ${message()}\n`);
    });
  }

  test("--force-variant skips the variant check only", async () => {
    expectRun(
      await os(s1, "validate", "alpha+nosuch", "--force-variant", "-O", "greeting=hi"),
      0,
      `OS alpha+nosuch (${s1}/alpha) accepts the given parameters\n`,
    );
    const r = await os(s1, "validate", "alpha+nosuch", "--force-variant", "-O", "nope=1");
    expectRun(r, 1, "", "Error: The following parameters are not supported by the OS alpha: nope\n");
  });

  test("--json errors: {error: {code, message}} on stdout, exit 1", async () => {
    const r = await os(s1, "validate", "alpha+nosuch", "--json");
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "");
    assert.deepEqual(JSON.parse(r.stdout), {
      error: { code: "OS_VARIANT", message: "OS 'alpha' does not support variant 'nosuch'" },
    });
    const kv = await os(s1, "validate", "alpha+default", "-O", "x", "--json");
    assert.equal(kv.code, 1);
    assert.deepEqual(JSON.parse(kv.stdout), {
      error: { code: "BAD_OPTION", message: "Missing value for key 'x' in option -O" },
    });
  });

  test("a bad --timeout is a usage error, not a crash", async () => {
    const r = await os(s1, "validate", "alpha+default", "--timeout", "soon");
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.match(
      r.stderr,
      /^error: option '--timeout <seconds>' argument 'soon' is invalid\. --timeout must be/,
    );
    assert.doesNotMatch(r.stderr, /at .*\.js:\d+/);
  });
});

describe("search path precedence", () => {
  test("GUESTOS_OS_SEARCH_PATH is used without --search-path", async () => {
    const r = await guestos(["os", "list", "--no-headers"], { env: envWith({ GUESTOS_OS_SEARCH_PATH: s2 }) });
    expectRun(r, 0, "alpha\nbeta+v1\nbeta+v2\nbeta+v10\n");
  });

  test("--search-path wins over GUESTOS_OS_SEARCH_PATH", async () => {
    const r = await guestos(["os", "list", "--no-headers", "--search-path", s1], {
      env: envWith({ GUESTOS_OS_SEARCH_PATH: s2 }),
    });
    expectRun(r, 0, "alpha+default\nalpha+minimal\nold\n");
  });

  test("the order of the dirs decides which copy is first", async () => {
    const r = await guestos(["os", "list", "--no-headers"], {
      env: envWith({ GUESTOS_OS_SEARCH_PATH: `${s2}:${s1}` }),
    });
    expectRun(r, 0, "alpha\nbeta+v1\nbeta+v2\nbeta+v10\nold\n");
  });

  test("an empty --search-path falls back to GUESTOS_OS_SEARCH_PATH", async () => {
    const r = await guestos(["os", "list", "--no-headers", "--search-path", ""], {
      env: envWith({ GUESTOS_OS_SEARCH_PATH: s1 }),
    });
    expectRun(r, 0, "alpha+default\nalpha+minimal\nold\n");
  });
});

describe("the node's per-OS settings (guestos os modify)", () => {
  // Each test its own home: the settings live in <home>/config.json.
  const withHome = async (fn: (env: NodeJS.ProcessEnv) => Promise<void>): Promise<void> => {
    const home = await mkdtemp(join(root, "home-"));
    await fn(envWith({ GUESTOS_HOME: home, GUESTOS_OS_SEARCH_PATH: s1 }));
  };

  test("hidden and blacklisted OSes leave os list and are flagged by diagnose and info", () =>
    withHome(async (env) => {
      expectRun(await guestos(["os", "modify", "--hidden", "yes", "old"], { env }), 0, "");
      expectRun(await guestos(["os", "modify", "--blacklisted", "YES", "alpha"], { env }), 0, "");
      expectRun(await guestos(["os", "list"], { env }), 0, "Name\n");
      const d = await guestos(["os", "diagnose"], { env });
      assert.ok(d.stdout.includes("OS: old [global status: valid] [hidden]\n"), d.stdout);
      assert.ok(d.stdout.includes("OS: alpha [global status: valid] [blacklisted]\n"), d.stdout);
      const i = await guestos(["os", "info", "old"], { env });
      assert.ok(
        i.stdout.startsWith("old:\n  - valid: True\n  - hidden: True\n  - blacklisted: False\n"),
        i.stdout,
      );
      expectRun(
        await guestos(["os", "modify", "--hidden", "no", "--blacklisted", "no", "old"], { env }),
        0,
        "",
      );
      expectRun(await guestos(["os", "modify", "--blacklisted", "false", "alpha"], { env }), 0, "");
      expectRun(
        await guestos(["os", "list", "--no-headers"], { env }),
        0,
        "alpha+default\nalpha+minimal\nold\n",
      );
    }));

  test("os info NAME+VARIANT shows the per-OS hypervisor and OS parameters, as gnt-os info", () =>
    withHome(async (env) => {
      const set = await guestos(
        ["os", "modify", "-O", "greeting=hey", "-H", "kvm:kernel_args=quiet,acpi=false", "alpha+minimal"],
        { env },
      );
      expectRun(set, 0, "");
      expectRun(
        await guestos(["os", "info", "alpha+minimal", "alpha+default"], { env }),
        0,
        "alpha+minimal: \n" +
          "  OS-specific hypervisor parameters: \n" +
          "    kvm: \n" +
          "      acpi: False\n" +
          "      kernel_args: quiet\n" +
          "  OS parameters: \n" +
          "    greeting: hey\n" +
          "\n" +
          "alpha+default: \n" +
          "\n",
      );
    }));

  test("parameters are checked against the OS when it exists, and not when it does not", () =>
    withHome(async (env) => {
      const bad = await guestos(["os", "modify", "-O", "colour=blue", "alpha"], { env });
      expectRun(bad, 1, "", "Error: The following parameters are not supported by the OS alpha: colour\n");
      const rejected = await guestos(["os", "modify", "-O", "greeting=bad", "alpha"], { env });
      assert.equal(rejected.code, 1);
      assert.ok(
        rejected.stderr.startsWith("Error: OS validation script failed (exited with exit code 1)"),
        rejected.stderr,
      );
      expectRun(await guestos(["os", "modify", "-O", "anything=goes", "nosuch"], { env }), 0, "");
    }));

  test("bad input: nothing to change, a bad boolean", () =>
    withHome(async (env) => {
      expectRun(
        await guestos(["os", "modify", "alpha"], { env }),
        1,
        "",
        "Error: At least one of OS parameters or hypervisor parameters must be passed\n",
      );
      const r = await guestos(["os", "modify", "--hidden", "maybe", "alpha"], { env });
      assert.equal(r.code, 1);
      assert.ok(r.stderr.startsWith("Error: Invalid boolean value 'maybe'\n"), r.stderr);
    }));
});
