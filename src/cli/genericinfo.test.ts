import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ganetiRender } from "../../test/cli/oracle.js";
import { codePointCompare, dict, genericInfoLines, inline, pairs, type Info } from "./genericinfo.js";

interface Case {
  what: string;
  data: Info;
  expected: string[];
}

// The expected lines are what Ganeti's PrintGenericInfo prints (checked against it below).
const CASES: Case[] = [
  {
    what: "an item with an ordered dict, nested containers keeping a trailing space after the key",
    data: [
      pairs([
        ["Instance name", "web1"],
        ["Nodes", [pairs([["primary", "node1"]]), pairs([["secondaries", ""]])]],
        ["Params", dict({ b: "2", a: "default (1)" })],
        ["Empty", dict({})],
        ["None here", []],
      ]),
    ],
    expected: [
      "- Instance name: web1",
      "  Nodes: ",
      "    - primary: node1",
      "    - secondaries: ",
      "  Params: ",
      "    a: default (1)",
      "    b: 2",
      "  Empty: ",
      "  None here: ",
    ],
  },
  {
    what: "alignment groups pad the values of one group",
    data: pairs([
      ["Job ID", "7"],
      ["Received", "a", "ts"],
      ["Processing start", "b", "ts"],
      ["Total processing time", "c"],
      ["Processing end", "d", "ts"],
    ]),
    expected: [
      "Job ID: 7",
      "Received:         a",
      "Processing start: b",
      "Total processing time: c",
      "Processing end:   d",
    ],
  },
  {
    what: "lists in lists, inline tuples, strings as list items",
    data: pairs([
      ["Result", ["OpPrereqError", ["Instance 'x' is marked to be up", "wrong_state"]]],
      ["Content", inline(["1", "message", "* creating instance disks..."])],
      [
        "Log",
        [
          pairs([
            ["Time", "t"],
            ["Content", inline(["2", "message", " - INFO: x"])],
          ]),
        ],
      ],
    ]),
    expected: [
      "Result: ",
      "  - OpPrereqError",
      "  - - Instance 'x' is marked to be up",
      "    - wrong_state",
      "Content: [1, message, * creating instance disks...]",
      "Log: ",
      "  - Time: t",
      "    Content: [2, message,  - INFO: x]",
    ],
  },
  {
    what: "a string alone; dict keys sorted by code point (uppercase first)",
    data: ["Job ID 8 not found", dict({ os_type: "noop", OP_ID: "OP_X", disks: [dict({ size: "1024" })] })],
    expected: ["- Job ID 8 not found", "- OP_ID: OP_X", "  disks: ", "    - size: 1024", "  os_type: noop"],
  },
  {
    what: "a trailing empty value keeps its trailing space (only newlines are stripped)",
    data: pairs([["secondaries", ""]]),
    expected: ["secondaries: "],
  },
];

describe("genericInfoLines", () => {
  for (const c of CASES) {
    test(c.what, () => assert.deepEqual(genericInfoLines(c.data), c.expected));
  }

  test("an empty list prints one empty line", () => {
    assert.deepEqual(genericInfoLines([]), [""]);
  });

  test("guestos indents the continuation lines of a multi-line string (Ganeti does not)", () => {
    assert.deepEqual(
      genericInfoLines([
        pairs([
          ["Last error", "first\nsecond"],
          ["UUID", "u"],
        ]),
      ]),
      ["- Last error: first", "    second", "  UUID: u"],
    );
  });

  test("codePointCompare sorts astral characters after BMP ones, as Python does", () => {
    assert.deepEqual(["\u{1F600}", "\uFF5E", "a", "B"].sort(codePointCompare), [
      "B",
      "a",
      "\uFF5E",
      "\u{1F600}",
    ]);
  });

  test("agrees with Ganeti's PrintGenericInfo on every case", (t) => {
    const encode = (d: Info): unknown => {
      if (typeof d === "string") return d;
      if (Array.isArray(d)) return (d as Info[]).map(encode);
      const x = d as Exclude<Info, string | readonly Info[]>;
      if (x.kind === "pairs")
        return { t: "pairs", e: x.entries.map((e) => [e[0], encode(e[1]), ...e.slice(2)]) };
      if (x.kind === "dict") {
        return {
          t: "dict",
          e: Object.fromEntries(Object.entries(x.entries).map(([k, v]) => [k, encode(v)])),
        };
      }
      return { t: "inline", i: x.items };
    };
    const theirs = ganetiRender(
      t,
      CASES.map((c) => ({ kind: "info", data: encode(c.data) })),
    );
    if (!theirs) return;
    CASES.forEach((c, i) => assert.deepEqual(c.expected, theirs[i]!.lines, c.what));
  });
});
