import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseParametersList, parseVariantsList } from "./lists.js";
import { pyIsSpace } from "./pycompat.js";

function python(body: string, inputs: unknown[]): unknown[] {
  const script = `import json, sys\nsys.path.insert(0, "/usr/share/ganeti/default")\n${body}\nvals = json.loads(sys.stdin.read())\nprint(json.dumps([f(v) for v in vals]))`;
  const out = execFileSync("/usr/bin/python3", ["-c", script], { input: JSON.stringify(inputs) });
  return JSON.parse(out.toString()) as unknown[];
}

const unit = fc.constantFrom(..."ab-_ \t\n\r\v\x1c\x1f\x85\u3000\u2028#\ufeff".split(""));
const text = fc.string({ unit, maxLength: 24 });

describe("parseVariantsList", () => {
  test("stripped lines without blanks and comments, in order", () => {
    assert.deepEqual(parseVariantsList("default\n\n  # old\nminimal  \r\n\tfull\x85x"), [
      "default",
      "minimal",
      "full",
      "x",
    ]);
    assert.deepEqual(parseVariantsList(""), []);
    assert.deepEqual(parseVariantsList("a#b\n"), ["a#b"]);
  });

  test("is Ganeti's FilterEmptyLinesAndComments", () => {
    const inputs = fc.sample(text, 400);
    const theirs = python(
      "from ganeti import utils\ndef f(v): return utils.FilterEmptyLinesAndComments(v)",
      inputs,
    );
    inputs.forEach((s, i) => assert.deepEqual(parseVariantsList(s), theirs[i], JSON.stringify(s)));
  });
});

describe("parseParametersList", () => {
  test("name, then the rest of the line as help", () => {
    assert.deepEqual(parseParametersList("dhcp whether to use DHCP\n  root-pw\tthe  password  \nbare\n"), [
      { name: "dhcp", description: "whether to use DHCP" },
      { name: "root-pw", description: "the  password  " },
      { name: "bare", description: "" },
    ]);
  });

  test("design decision: blank and # lines are ignored", () => {
    assert.deepEqual(parseParametersList("\n   \n# comment\n  #x y\na b\n#"), [
      { name: "a", description: "b" },
    ]);
  });

  test("otherwise the same as Ganeti's split(None, 1) per line", () => {
    const inputs = fc.sample(text, 400);
    const theirs = python(
      'def f(v): return [p for p in (l.split(None, 1) for l in v.splitlines()) if p and not p[0].startswith("#")]',
      inputs,
    );
    inputs.forEach((s, i) => {
      const ours = parseParametersList(s).map((p) =>
        p.description === "" ? [p.name] : [p.name, p.description],
      );
      assert.deepEqual(ours, theirs[i], JSON.stringify(s));
    });
  });

  test("names never contain whitespace or start with #", () => {
    fc.assert(
      fc.property(text, (s) => {
        for (const p of parseParametersList(s)) {
          assert.ok(p.name !== "" && !p.name.startsWith("#"));
          assert.ok(![...p.name].some(pyIsSpace));
        }
      }),
    );
  });
});
