import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { CatalogEntry } from "../osdef/index.js";
import type { OsDefinition, OsParameter, OsVerdict } from "../osdef/types.js";
import { requireDeps } from "../../test/interop/deps.js";
import { formatTable } from "./table.js";
import {
  allValid,
  diagnoseJson,
  listNames,
  NO_FLAGS,
  renderDiagnose,
  renderInfo,
  type OsFlags,
} from "./osrender.js";

const SRV = "/srv/ganeti/os";

/** A valid OS as osdef would load it from `dir`. */
function osDef(
  name: string,
  o: {
    api: number[];
    variants?: string[];
    parameters?: [string, string][];
    untrusted?: boolean;
    dir?: string;
  },
): OsVerdict {
  const path = `${o.dir ?? SRV}/${name}`;
  const supported = o.api.filter((v) => [10, 15, 20].includes(v));
  const os: OsDefinition = {
    name,
    path,
    apiVersions: o.api,
    declaredMax: Math.max(...o.api),
    apiVersion: Math.max(...supported),
    scripts: {
      create: o.untrusted === true ? null : `${path}/create`,
      createUntrusted: o.untrusted === true ? `${path}/create_untrusted` : null,
      export: `${path}/export`,
      import: `${path}/import`,
      rename: `${path}/rename`,
      verify: Math.max(...o.api) >= 20 ? `${path}/verify` : null,
    },
    variants: o.variants ?? [],
    parameters: (o.parameters ?? []).map(([n, description]): OsParameter => ({ name: n, description })),
    trusted: o.untrusted !== true,
  };
  return { valid: true, name, path, os };
}

function invalid(name: string, message: string, o: { dir?: string; hint?: string } = {}): OsVerdict {
  return {
    valid: false,
    name,
    path: `${o.dir ?? SRV}/${name}`,
    message,
    ...(o.hint === undefined ? {} : { hint: o.hint }),
  };
}

const entry = (first: OsVerdict, ...shadowed: OsVerdict[]): CatalogEntry => ({
  name: first.name,
  first,
  shadowed,
});

const BAD_MSG = "Required file 'ganeti_api_version' not found under path /srv/ganeti/os/bad: ENOENT";
const LIB_MSG = "File 'export' under path '/usr/lib/ganeti/os/shadow' is missing (ENOENT)";

/** A catalog as osdef's diagnose() returns it: NiceSorted by name, shadowed copies in search-path order. */
const CATALOG: CatalogEntry[] = [
  entry(
    osDef("alpha", {
      api: [20, 15, 10],
      variants: ["minimal", "default", "v10", "v9"],
      parameters: [
        ["root-password", "The root password"],
        ["dhcp", "Use DHCP (yes/no)"],
        ["dhcp", "Use DHCP (yes/no)"],
      ],
    }),
  ),
  entry(osDef("apimix", { api: [15, 25], variants: ["x"], parameters: [["a", "A help"]] })),
  entry(
    invalid("bad", BAD_MSG, { hint: "create the file" }),
    osDef("bad", { api: [15], variants: ["ignored"], dir: "/usr/share/ganeti/os" }),
  ),
  entry(osDef("blk", { api: [10] })),
  entry(osDef("both", { api: [15], variants: ["a"] })),
  entry(osDef("deb9", { api: [10] })),
  entry(osDef("deb10", { api: [15] })),
  entry(osDef("hid", { api: [20, 20] })),
  entry(
    osDef("shadow", { api: [10] }),
    invalid("shadow", LIB_MSG, { dir: "/usr/lib/ganeti/os" }),
    osDef("shadow", { api: [20], dir: "/usr/share/ganeti/os" }),
  ),
  entry(osDef("untr", { api: [20], parameters: [["p", "help text"]], untrusted: true })),
];

const FLAGS: OsFlags = { hidden: new Set(["hid", "both"]), blacklisted: new Set(["blk", "both"]) };
const NODE = "node1.example.com";

/** Compare line by line, so a failure names the first differing line. */
function sameLines(actual: string[], expected: string[]): void {
  for (let i = 0; i < Math.max(actual.length, expected.length); i++) {
    assert.equal(actual[i], expected[i], `line ${i + 1}`);
  }
}

describe("renderDiagnose (gnt-os diagnose)", () => {
  test("every kind of OS, with hidden and blacklisted flags and shadowed copies", () => {
    sameLines(renderDiagnose(CATALOG, NODE, FLAGS), [
      "OS: alpha [global status: valid]",
      "  Variants: [default, minimal, v9, v10]",
      "  Node: node1.example.com, status: valid (path: /srv/ganeti/os/alpha) [API versions: 20, 15, 10] " +
        "[variants: minimal, default, v10, v9] [parameters: root-password, dhcp, dhcp] [trusted]",
      "",
      "OS: apimix [global status: valid]",
      "  Variants: [x]",
      "  Node: node1.example.com, status: valid (path: /srv/ganeti/os/apimix) [API versions: 15, 25] " +
        "[variants: x] [parameters: a] [trusted]",
      "",
      "OS: bad [global status: invalid]",
      `  Node: node1.example.com, status: invalid - ${BAD_MSG} (path: /srv/ganeti/os/bad) ` +
        "[no API versions declared] [trusted]",
      "    [hidden] path: /usr/share/ganeti/os/bad, status: valid",
      "",
      "OS: blk [global status: valid] [blacklisted]",
      "  Node: node1.example.com, status: valid (path: /srv/ganeti/os/blk) [API versions: 10] [trusted]",
      "",
      "OS: both [global status: valid] [hidden] [blacklisted]",
      "  Variants: [a]",
      "  Node: node1.example.com, status: valid (path: /srv/ganeti/os/both) [API versions: 15] [variants: a] [trusted]",
      "",
      "OS: deb9 [global status: valid]",
      "  Node: node1.example.com, status: valid (path: /srv/ganeti/os/deb9) [API versions: 10] [trusted]",
      "",
      "OS: deb10 [global status: valid]",
      "  Node: node1.example.com, status: valid (path: /srv/ganeti/os/deb10) [API versions: 15] [no variants] [trusted]",
      "",
      "OS: hid [global status: valid] [hidden]",
      "  Node: node1.example.com, status: valid (path: /srv/ganeti/os/hid) [API versions: 20, 20] [no variants] " +
        "[no parameters] [trusted]",
      "",
      "OS: shadow [global status: valid]",
      "  Node: node1.example.com, status: valid (path: /srv/ganeti/os/shadow) [API versions: 10] [trusted]",
      `    [hidden] path: /usr/lib/ganeti/os/shadow, status: invalid - ${LIB_MSG}`,
      "    [hidden] path: /usr/share/ganeti/os/shadow, status: valid",
      "",
      "OS: untr [global status: valid]",
      "  Node: node1.example.com, status: valid (path: /srv/ganeti/os/untr) [API versions: 20] [no variants] " +
        "[parameters: p] [untrusted]",
      "",
    ]);
  });

  test("without flags there are no [hidden]/[blacklisted] marks; nothing is printed for no OS", () => {
    const lines = renderDiagnose(CATALOG, "n");
    assert.equal(lines.filter((l) => l.startsWith("OS: ")).length, CATALOG.length);
    assert.ok(lines.every((l) => !/\[(hidden|blacklisted)\]$/.test(l)));
    assert.ok(lines.includes("OS: both [global status: valid]"));
    assert.deepEqual(renderDiagnose([], "n"), []);
  });

  test("allValid decides the exit code: only the first entry of each OS counts", () => {
    assert.equal(allValid(CATALOG), false);
    assert.equal(allValid(CATALOG.filter((e) => e.name !== "bad")), true); // shadow's invalid copy does not count
    assert.equal(allValid([]), true);
  });
});

describe("listNames (gnt-os list)", () => {
  test("valid, not hidden, not blacklisted; name+variant with variants NiceSorted", () => {
    assert.deepEqual(listNames(CATALOG, FLAGS), [
      "alpha+default",
      "alpha+minimal",
      "alpha+v9",
      "alpha+v10",
      "apimix+x",
      "deb9",
      "deb10",
      "shadow",
      "untr",
    ]);
  });

  test("without flags the hidden and blacklisted ones are listed too; invalid ones never", () => {
    assert.deepEqual(listNames(CATALOG), [
      "alpha+default",
      "alpha+minimal",
      "alpha+v9",
      "alpha+v10",
      "apimix+x",
      "blk",
      "both+a",
      "deb9",
      "deb10",
      "hid",
      "shadow",
      "untr",
    ]);
  });

  test("duplicate variants are listed once", () => {
    assert.deepEqual(listNames([entry(osDef("d", { api: [15], variants: ["b", "a", "b"] }))]), [
      "d+a",
      "d+b",
    ]);
  });
});

const ALPHA_INFO = [
  "alpha:",
  "  - valid: True",
  "  - hidden: False",
  "  - blacklisted: False",
  "  - API versions:",
  "    - 10",
  "    - 15",
  "    - 20",
  "  - variants:",
  "    - default",
  "    - minimal",
  "    - v9",
  "    - v10",
  "  - parameters:",
  "    - dhcp: Use DHCP (yes/no)",
  "    - root-password: The root password",
  "  - trusted: True",
  "",
];

describe("renderInfo (gnt-os info)", () => {
  test("every OS, in catalog order", () => {
    sameLines(renderInfo(CATALOG, [], FLAGS), [
      ...ALPHA_INFO,
      "apimix:",
      "  - valid: True",
      "  - hidden: False",
      "  - blacklisted: False",
      "  - API versions:",
      "    - 15",
      "    - 25",
      "  - variants:",
      "    - x",
      "  - parameters:",
      "    - a: A help",
      "  - trusted: True",
      "",
      "bad:",
      "  - valid: False",
      "  - hidden: False",
      "  - blacklisted: False",
      "  - trusted: True",
      "",
      "blk:",
      "  - valid: True",
      "  - hidden: False",
      "  - blacklisted: True",
      "  - API versions:",
      "    - 10",
      "  - variants:",
      "  - parameters:",
      "  - trusted: True",
      "",
      "both:",
      "  - valid: True",
      "  - hidden: True",
      "  - blacklisted: True",
      "  - API versions:",
      "    - 15",
      "  - variants:",
      "    - a",
      "  - parameters:",
      "  - trusted: True",
      "",
      "deb9:",
      "  - valid: True",
      "  - hidden: False",
      "  - blacklisted: False",
      "  - API versions:",
      "    - 10",
      "  - variants:",
      "  - parameters:",
      "  - trusted: True",
      "",
      "deb10:",
      "  - valid: True",
      "  - hidden: False",
      "  - blacklisted: False",
      "  - API versions:",
      "    - 15",
      "  - variants:",
      "  - parameters:",
      "  - trusted: True",
      "",
      "hid:",
      "  - valid: True",
      "  - hidden: True",
      "  - blacklisted: False",
      "  - API versions:",
      "    - 20",
      "  - variants:",
      "  - parameters:",
      "  - trusted: True",
      "",
      "shadow:",
      "  - valid: True",
      "  - hidden: False",
      "  - blacklisted: False",
      "  - API versions:",
      "    - 10",
      "  - variants:",
      "  - parameters:",
      "  - trusted: True",
      "",
      "untr:",
      "  - valid: True",
      "  - hidden: False",
      "  - blacklisted: False",
      "  - API versions:",
      "    - 20",
      "  - variants:",
      "  - parameters:",
      "    - p: help text",
      "  - trusted: False",
      "",
    ]);
  });

  test("named OSes in catalog order, then each unknown name as `<name>: `", () => {
    sameLines(renderInfo(CATALOG, ["nosuch", "alpha", "alpha+default", "bad"], FLAGS), [
      ...ALPHA_INFO,
      "bad:",
      "  - valid: False",
      "  - hidden: False",
      "  - blacklisted: False",
      "  - trusted: True",
      "",
      "nosuch: ",
      "",
      "alpha+default: ",
      "",
    ]);
  });

  test("a name given twice matches once, like Ganeti's args.remove()", () => {
    sameLines(renderInfo(CATALOG, ["alpha", "alpha", "zz", "zz"]), [
      ...ALPHA_INFO,
      "alpha: ",
      "",
      "zz: ",
      "",
      "zz: ",
      "",
    ]);
  });

  test("a parameter without help text prints `name: `", () => {
    const e = entry(osDef("p", { api: [20], parameters: [["bare", ""]] }));
    assert.ok(renderInfo([e], []).includes("    - bare: "));
  });
});

describe("diagnoseJson", () => {
  const byName = (n: string) => diagnoseJson(CATALOG.find((e) => e.name === n)!);

  test("a valid OS: file-order lists, parameters with descriptions", () => {
    assert.deepEqual(byName("alpha"), {
      name: "alpha",
      path: "/srv/ganeti/os/alpha",
      status: "valid",
      message: "",
      apiVersions: [20, 15, 10],
      variants: ["minimal", "default", "v10", "v9"],
      parameters: [
        { name: "root-password", description: "The root password" },
        { name: "dhcp", description: "Use DHCP (yes/no)" },
        { name: "dhcp", description: "Use DHCP (yes/no)" },
      ],
      trusted: true,
      shadowed: [],
    });
  });

  test("an invalid OS with its hint and a valid shadowed copy", () => {
    assert.deepEqual(byName("bad"), {
      name: "bad",
      path: "/srv/ganeti/os/bad",
      status: "invalid",
      message: BAD_MSG,
      hint: "create the file",
      apiVersions: [],
      variants: [],
      parameters: [],
      trusted: true,
      shadowed: [{ path: "/usr/share/ganeti/os/bad", status: "valid", message: "" }],
    });
  });

  test("shadowed copies in search-path order", () => {
    assert.deepEqual(byName("shadow").shadowed, [
      { path: "/usr/lib/ganeti/os/shadow", status: "invalid", message: LIB_MSG },
      { path: "/usr/share/ganeti/os/shadow", status: "valid", message: "" },
    ]);
  });

  test("an untrusted OS", () => {
    const j = byName("untr");
    assert.equal(j.trusted, false);
    assert.deepEqual(j.parameters, [{ name: "p", description: "help text" }]);
  });

  test("survives a JSON round trip unchanged", () => {
    const all = CATALOG.map(diagnoseJson);
    assert.deepEqual(JSON.parse(JSON.stringify(all)), all);
  });
});

/** Backend DiagnoseOS tuples for one node: each OS's first entry, then its shadowed copies. */
function payload(entries: CatalogEntry[]): unknown[] {
  return entries.flatMap((e) =>
    [e.first, ...e.shadowed].map((v) =>
      v.valid
        ? [
            v.name,
            v.path,
            true,
            "",
            v.os.variants,
            v.os.parameters.map((p) => [p.name, p.description]),
            v.os.apiVersions,
            v.os.trusted,
          ]
        : [v.name, v.path, false, v.message, [], [], [], true],
    ),
  );
}

interface OracleCase {
  command: "list" | "diagnose" | "info";
  node: string;
  payload: unknown[];
  hidden: string[];
  blacklisted: string[];
  noHeaders?: boolean;
  args?: string[];
}
type OracleAnswer = { exitCode: number; lines: string[] } | { error: string };

const ORACLE = join(
  dirname(fileURLToPath(import.meta.url)),
  "..",
  "..",
  "test",
  "cli",
  "oracle",
  "gnt_os.py",
);

function ganeti(cases: OracleCase[]): OracleAnswer[] {
  const out = execFileSync("/usr/bin/python3", [ORACLE], { input: JSON.stringify(cases) });
  return JSON.parse(out.toString()) as OracleAnswer[];
}

describe("agrees with Ganeti's gnt_os.py (DiagnoseOS, ListOS, ShowOSInfo over OsQuery)", () => {
  test("list, diagnose and info", (t) => {
    if (
      !requireDeps(t, [
        { path: "/usr/bin/python3", pkg: "python3" },
        { path: "/usr/share/ganeti/default/ganeti/client/gnt_os.py", pkg: "ganeti-3.0" },
      ])
    )
      return;
    const flagSets: OsFlags[] = [NO_FLAGS, FLAGS];
    // Ganeti's DiagnoseOS crashes on shadowed copies (spec §6.2 defect a), so its input has none.
    const firstOnly = CATALOG.map((e) => ({ ...e, shadowed: [] }));
    const cases: OracleCase[] = [];
    const ours: { lines: string[]; exitCode?: number; what: string }[] = [];
    for (const flags of flagSets) {
      const base = { node: NODE, hidden: [...flags.hidden], blacklisted: [...flags.blacklisted] };
      const tag = flags === NO_FLAGS ? "no flags" : "flags";
      cases.push({ ...base, command: "diagnose", payload: payload(firstOnly) });
      ours.push({
        lines: renderDiagnose(firstOnly, NODE, flags),
        exitCode: allValid(firstOnly) ? 0 : 1,
        what: `diagnose, ${tag}`,
      });
      const valid = firstOnly.filter((e) => e.first.valid);
      cases.push({ ...base, command: "diagnose", payload: payload(valid) });
      ours.push({
        lines: renderDiagnose(valid, NODE, flags),
        exitCode: 0,
        what: `diagnose valid only, ${tag}`,
      });
      for (const noHeaders of [false, true]) {
        cases.push({ ...base, command: "list", payload: payload(CATALOG), noHeaders });
        const names = listNames(CATALOG, flags);
        const lines = formatTable(
          noHeaders ? null : ["Name"],
          names.map((n) => [n]),
        );
        ours.push({ lines, what: `list${noHeaders ? " --no-headers" : ""}, ${tag}` });
      }
      for (const args of [
        [],
        ["alpha", "untr"],
        ["nosuch", "bad", "alpha+default"],
        ["deb10", "deb10", "x"],
      ]) {
        cases.push({ ...base, command: "info", payload: payload(CATALOG), args });
        ours.push({
          lines: renderInfo(CATALOG, args, flags),
          exitCode: 0,
          what: `info ${args.join(" ")}, ${tag}`,
        });
      }
    }
    const theirs = ganeti(cases);
    ours.forEach((o, i) => {
      const g = theirs[i]!;
      assert.ok("lines" in g, `${o.what}: Ganeti failed: ${"error" in g ? g.error : ""}`);
      assert.deepEqual(o.lines, g.lines, o.what);
      if (o.exitCode !== undefined) assert.equal(o.exitCode, g.exitCode, o.what);
    });
  });

  test("Ganeti's DiagnoseOS itself crashes on a shadowed copy, which guestos prints instead", (t) => {
    if (!requireDeps(t, [{ path: "/usr/share/ganeti/default/ganeti/client/gnt_os.py", pkg: "ganeti-3.0" }]))
      return;
    const shadow = CATALOG.filter((e) => e.name === "shadow");
    const [answer] = ganeti([
      { command: "diagnose", node: NODE, payload: payload(shadow), hidden: [], blacklisted: [] },
    ]);
    assert.ok(answer && "error" in answer && answer.error.startsWith("ValueError: "), JSON.stringify(answer));
  });
});
