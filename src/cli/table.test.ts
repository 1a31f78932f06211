import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { requireDeps } from "../../test/interop/deps.js";
import { ganetiRender } from "../../test/cli/oracle.js";
import { formatColumns, formatTable, type TableColumn } from "./table.js";

interface Case {
  what: string;
  headers: string[] | null;
  rows: string[][];
  separator?: string;
  expected: string[];
}

// The expected lines are what Ganeti's cli.GenerateTable prints for the same input.
const CASES: Case[] = [
  {
    what: "gnt-os list: the header is padded to the widest name",
    headers: ["Name"],
    rows: [["alpha+a"], ["old"]],
    expected: ["Name   ", "alpha+a", "old"],
  },
  {
    what: "gnt-os list --no-headers",
    headers: null,
    rows: [["alpha+a"], ["old"]],
    expected: ["alpha+a", "old"],
  },
  {
    what: "a header wider than every cell",
    headers: ["Name"],
    rows: [["a"], ["bb"]],
    expected: ["Name", "a", "bb"],
  },
  {
    what: "headers only",
    headers: ["Name"],
    rows: [],
    expected: ["Name"],
  },
  {
    what: "nothing at all",
    headers: null,
    rows: [],
    expected: [],
  },
  {
    what: "two columns: the last is padded in the header only",
    headers: ["A", "Bee"],
    rows: [
      ["x", "1"],
      ["long", "22"],
    ],
    expected: ["A    Bee", "x    1", "long 22"],
  },
  {
    what: "a wide first header pads the data under it",
    headers: ["Aaaaaaa", "B"],
    rows: [["x", "1"]],
    expected: ["Aaaaaaa B", "x       1"],
  },
  {
    what: "three columns without headers",
    headers: null,
    rows: [
      ["a", "bb", "c"],
      ["aaa", "b", "cccc"],
    ],
    expected: ["a   bb c", "aaa b  cccc"],
  },
  {
    what: "empty cells",
    headers: ["X", "Y"],
    rows: [
      ["", ""],
      ["a", ""],
    ],
    expected: ["X Y", "  ", "a "],
  },
  {
    what: "widths count code points, as Python's len() does",
    headers: ["Name", "b"],
    rows: [["😀", "1"]],
    expected: ["Name b", "😀    1"],
  },
  {
    what: "separator mode: no padding at all",
    headers: ["A", "Bee"],
    rows: [
      ["x", "1"],
      ["long", "22"],
    ],
    separator: ":",
    expected: ["A:Bee", "x:1", "long:22"],
  },
  {
    what: "separator mode without headers, with a % separator",
    headers: null,
    rows: [["x", "1"]],
    separator: "%",
    expected: ["x%1"],
  },
  {
    what: "an empty separator",
    headers: ["A", "B"],
    rows: [["x", "y"]],
    separator: "",
    expected: ["AB", "xy"],
  },
];

describe("formatTable", () => {
  for (const c of CASES) {
    test(c.what, () => {
      const opts = c.separator === undefined ? {} : { separator: c.separator };
      assert.deepEqual(formatTable(c.headers, c.rows, opts), c.expected);
    });
  }

  test("agrees with Ganeti's GenerateTable on every case", (t) => {
    if (
      !requireDeps(t, [
        { path: "/usr/bin/python3", pkg: "python3" },
        { path: "/usr/share/ganeti/default/ganeti/cli.py", pkg: "ganeti-3.0" },
      ])
    )
      return;
    const script = [
      "import json, sys",
      'sys.path.insert(0, "/usr/share/ganeti/default")',
      "from ganeti.cli import GenerateTable",
      "out = []",
      "for c in json.loads(sys.stdin.read()):",
      "  ncol = len(c['headers']) if c['headers'] is not None else len(c['rows'][0]) if c['rows'] else 0",
      "  fields = ['f%d' % i for i in range(ncol)]",
      "  headers = dict(zip(fields, c['headers'])) if c['headers'] is not None else None",
      "  out.append(GenerateTable(headers, fields, c.get('separator'), [list(r) for r in c['rows']]))",
      "print(json.dumps(out))",
    ].join("\n");
    const out = execFileSync("/usr/bin/python3", ["-c", script], { input: JSON.stringify(CASES) });
    const theirs = JSON.parse(out.toString()) as string[][];
    CASES.forEach((c, i) => assert.deepEqual(c.expected, theirs[i], c.what));
  });
});

interface ColumnCase {
  what: string;
  columns: TableColumn[];
  rows: string[][];
  header: boolean;
  separator?: string;
  expected: string[];
}

const L = (title: string): TableColumn => ({ title, alignRight: false });
const R = (title: string): TableColumn => ({ title, alignRight: true });

// The expected lines are what Ganeti's cli.FormatTable prints for the same input.
const COLUMN_CASES: ColumnCase[] = [
  {
    what: "gnt-instance list: a left-aligned last column is not padded, not even in the header",
    columns: [L("Instance"), L("Status")],
    rows: [
      ["web1", "ADMIN_down"],
      ["db.example.com", "running"],
    ],
    header: true,
    expected: ["Instance       Status", "web1           ADMIN_down", "db.example.com running"],
  },
  {
    what: "number and unit columns are right-aligned, including a last one",
    columns: [L("Instance"), R("Memory")],
    rows: [
      ["web1", "512M"],
      ["db", "-"],
    ],
    header: true,
    expected: ["Instance Memory", "web1       512M", "db            -"],
  },
  {
    what: "a right-aligned first column",
    columns: [R("ID"), L("Status"), L("Summary")],
    rows: [
      ["9", "success", "INSTANCE_CREATE(web1)"],
      ["10", "error", "INSTANCE_REINSTALL(web1)"],
    ],
    header: true,
    expected: [
      "ID Status  Summary",
      " 9 success INSTANCE_CREATE(web1)",
      "10 error   INSTANCE_REINSTALL(web1)",
    ],
  },
  {
    what: "no header: widths come from the data only",
    columns: [L("Instance"), R("Memory")],
    rows: [["a", "1"]],
    header: false,
    expected: ["a 1"],
  },
  {
    what: "header only",
    columns: [L("Instance"), R("Memory")],
    rows: [],
    header: true,
    expected: ["Instance Memory"],
  },
  {
    what: "nothing at all",
    columns: [L("Instance")],
    rows: [],
    header: false,
    expected: [],
  },
  {
    what: "separator mode: no padding, header kept",
    columns: [L("Instance"), R("Memory")],
    rows: [["web1", "512"]],
    header: true,
    separator: ":",
    expected: ["Instance:Memory", "web1:512"],
  },
  {
    what: "widths count code points",
    columns: [L("N"), R("V")],
    rows: [["😀😀", "1"]],
    header: true,
    expected: ["N  V", "😀😀 1"],
  },
];

describe("formatColumns", () => {
  for (const c of COLUMN_CASES) {
    test(c.what, () => {
      assert.deepEqual(
        formatColumns(c.columns, c.rows, { header: c.header, separator: c.separator }),
        c.expected,
      );
    });
  }

  test("agrees with Ganeti's FormatTable on every case", (t) => {
    const theirs = ganetiRender(
      t,
      COLUMN_CASES.map((c) => ({ kind: "table", ...c })),
    );
    if (!theirs) return;
    COLUMN_CASES.forEach((c, i) => assert.deepEqual(c.expected, theirs[i]!.lines, c.what));
  });
});
