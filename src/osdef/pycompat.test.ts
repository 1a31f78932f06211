import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { pyCompare, pyIsSpace, pySplitOnce, pySplitlines, pyStrip, pyTruncate } from "./pycompat.js";

/** Evaluates `expr` (Python, over `v`) for every input in one Python process. */
function python(expr: string, inputs: unknown[]): unknown[] {
  const script = `import json, sys\nvals = json.loads(sys.stdin.read())\nprint(json.dumps([${expr} for v in vals]))`;
  const out = execFileSync("/usr/bin/python3", ["-c", script], {
    input: JSON.stringify(inputs),
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.toString()) as unknown[];
}

/** Characters on which Python and JavaScript string handling disagree, plus ordinary ones. */
const TRICKY = [
  ..." \t\n\r\v\f\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000",
  ..."\ufeff\u180e\u200b\u00ad\x00\x7f#'\"\\_+-019aZ\u00e9\u0661\uff15\u00b2\ue000\uffff",
  "\u{1f600}",
  "\u{1d7ce}",
  "\u{e0001}",
  "\ud800",
];
const BREAKS = [..."\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"];
const tricky = fc.string({ unit: fc.constantFrom(...TRICKY), maxLength: 16 });

describe("pyIsSpace / pyStrip", () => {
  test("Python's whitespace, not JavaScript's", () => {
    assert.equal(pyStrip("\x1c\x1f a b \x85\u3000"), "a b");
    assert.equal(pyStrip("\ufeff10"), "\ufeff10");
    assert.equal(pyStrip("\u180e1\u200b"), "\u180e1\u200b");
    assert.equal(pyIsSpace("\x1f"), true);
    assert.equal(pyIsSpace("\ufeff"), false);
    assert.equal(pyIsSpace("  "), false);
  });

  test("strip is idempotent and leaves no outer whitespace", () => {
    fc.assert(
      fc.property(tricky, (s) => {
        const t = pyStrip(s);
        assert.equal(pyStrip(t), t);
        assert.ok(s.includes(t));
        if (t !== "") assert.ok(!pyIsSpace(t[0]!) && !pyIsSpace(t[t.length - 1]!));
      }),
    );
  });
});

describe("pySplitlines", () => {
  test("splits on every Python line boundary, \\r\\n as one", () => {
    assert.deepEqual(pySplitlines("a\r\nb\rc\x1cd\x1fe\x85f\u2028g\x0bh\x0ci\n"), [
      "a",
      "b",
      "c",
      "d\x1fe",
      "f",
      "g",
      "h",
      "i",
    ]);
    assert.deepEqual(pySplitlines(""), []);
    assert.deepEqual(pySplitlines("\n"), [""]);
    assert.deepEqual(pySplitlines("20\n\n"), ["20", ""]);
    assert.deepEqual(pySplitlines("x\r"), ["x"]);
    assert.deepEqual(pySplitlines("\r\n\r"), ["", ""]);
  });

  test("lines hold no break characters and rejoin to the input", () => {
    fc.assert(
      fc.property(tricky, (s) => {
        const lines = pySplitlines(s);
        for (const l of lines) assert.ok(![...l].some((c) => BREAKS.includes(c)));
        const flat = [...s.replaceAll("\r\n", "\n")].map((c) => (BREAKS.includes(c) ? "\n" : c)).join("");
        assert.equal(
          lines.map((l) => l + "\n").join(""),
          flat.endsWith("\n") || flat === "" ? flat : flat + "\n",
        );
      }),
    );
  });
});

describe("pySplitOnce", () => {
  test("split(None, 1)", () => {
    assert.deepEqual(pySplitOnce("  foo  bar baz  "), ["foo", "bar baz  "]);
    assert.deepEqual(pySplitOnce("foo   "), ["foo"]);
    assert.deepEqual(pySplitOnce(" \t "), []);
    assert.deepEqual(pySplitOnce("a\x1fb"), ["a", "b"]);
    assert.deepEqual(pySplitOnce("a\ufeffb"), ["a\ufeffb"]);
  });

  test("first token has no whitespace; the rest does not start with any", () => {
    fc.assert(
      fc.property(tricky, (s) => {
        const parts = pySplitOnce(s);
        assert.ok(parts.length <= 2);
        if (parts.length === 0) return assert.equal(pyStrip(s), "");
        assert.ok(pyStrip(s).startsWith(parts[0]!));
        assert.ok(![...parts[0]!].some(pyIsSpace));
        if (parts[1] !== undefined) assert.ok(parts[1] !== "" && !pyIsSpace(parts[1][0]!));
      }),
    );
  });
});

describe("pyTruncate / pyCompare", () => {
  test("truncation counts code points", () => {
    assert.equal(pyTruncate("\u{1f600}\u{1f600}a", 2), "\u{1f600}\u{1f600}");
    assert.equal(pyTruncate("abc", 5), "abc");
  });

  test("comparison is by code point", () => {
    assert.ok(pyCompare("\uffff", "\u{10000}") < 0);
    assert.ok(pyCompare("a", "ab") < 0);
    assert.equal(pyCompare("x", "x"), 0);
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        const ca = [...a].map((c) => c.codePointAt(0)!);
        const cb = [...b].map((c) => c.codePointAt(0)!);
        let expected = 0;
        for (let i = 0; i < Math.min(ca.length, cb.length) && expected === 0; i++) expected = ca[i]! - cb[i]!;
        if (expected === 0) expected = ca.length - cb.length;
        assert.equal(Math.sign(pyCompare(a, b)), Math.sign(expected));
      }),
    );
  });
});

describe("parity with /usr/bin/python3", () => {
  test("splitlines, strip and split(None, 1) over random strings", () => {
    const inputs = [
      ...fc.sample(tricky, 400),
      ...fc.sample(fc.string({ unit: "binary", maxLength: 10 }), 200),
    ];
    const theirs = python("[v.splitlines(), v.strip(), v.split(None, 1)]", inputs);
    inputs.forEach((s, i) => {
      assert.deepEqual([pySplitlines(s), pyStrip(s), pySplitOnce(s)], theirs[i], JSON.stringify(s));
    });
  });
});
