import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { pyFloat, pyStr, pyStrRepr, pyUpper } from "./pyrepr.js";
import { envVarName } from "./params.js";
import type { HvValue } from "./spec.js";

const PYTHON = "/usr/bin/python3";

/** Runs `expr` (a Python expression over `v`) for every input in one Python process. */
function python(expr: string, inputsJson: string): string[] {
  const script = `import json, sys\nvals = json.loads(sys.stdin.read())\nprint(json.dumps([${expr} for v in vals]))`;
  return JSON.parse(
    execFileSync(PYTHON, ["-c", script], { input: inputsJson, maxBuffer: 64 << 20 }).toString(),
  ) as string[];
}

/** JSON for floats that Python reads back as the same doubles (NaN and the infinities as Python's tokens). */
function floatJson(xs: number[]): string {
  const items = xs.map((x) => {
    if (Number.isNaN(x)) return "NaN";
    if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
    return Object.is(x, -0) ? "-0.0" : JSON.stringify(x);
  });
  return `[${items.join(",")}]`;
}

function compareAll<T>(
  label: string,
  inputs: T[],
  ours: (x: T) => string,
  theirs: string[],
  seed: number,
): void {
  inputs.forEach((x, i) => {
    assert.equal(ours(x), theirs[i], `${label}(${JSON.stringify(x)}) differs from Python (seed ${seed})`);
  });
}

// Characters where Python's repr/upper rules have corners: quotes, escapes, C1 controls, soft hyphen,
// separators, surrogates, and characters Node's newer Unicode knows but Python 3.11 (Unicode 14) does not.
const TRICKY = [
  ..."'\"\\\n\t\r\0\x01\x1f\x7f\x80\x9f\xa0\xad\xff\u0100\u2028\u2029\u200b\ufeff\ufffd\uffff",
  "\ud800",
  "\udfff",
  "\u{1f600}",
  "\u{e0001}",
  "\u{10ffff}",
  "\u{1e030}",
  "\u{31350}",
  "\u{1f6dc}",
  "\u019b",
  "\u0264",
  "\u{16ebb}",
  "ß",
  "ŉ",
  "ǆ",
  "ﬃ",
  "ΐ",
  "-",
  "a",
  "Z",
  "0",
  " ",
];
const trickyChar = fc.constantFrom(...TRICKY);
const anyChar = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 3, arbitrary: trickyChar },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  { weight: 2, arbitrary: fc.string({ minLength: 1, maxLength: 1 }) },
);
const pyishString = fc.array(anyChar, { maxLength: 12 }).map((cs) => cs.join(""));

describe("pyFloat", () => {
  test("examples", () => {
    assert.equal(pyFloat(1700000000), "1700000000.0");
    assert.equal(pyFloat(1714470000.123456), "1714470000.123456");
    assert.equal(pyFloat(0.1), "0.1");
    assert.equal(pyFloat(1.5e-5), "1.5e-05");
    assert.equal(pyFloat(0.0001), "0.0001");
    assert.equal(pyFloat(1e16), "1e+16");
    assert.equal(pyFloat(9999999999999998), "9999999999999998.0");
    assert.equal(pyFloat(1.5e300), "1.5e+300");
    assert.equal(pyFloat(5e-324), "5e-324");
    assert.equal(pyFloat(-0), "-0.0");
    assert.equal(pyFloat(0), "0.0");
    assert.equal(pyFloat(-2.5), "-2.5");
    assert.equal(pyFloat(Infinity), "inf");
    assert.equal(pyFloat(-Infinity), "-inf");
    assert.equal(pyFloat(NaN), "nan");
  });

  test("matches Python's repr(float) on random doubles", () => {
    const seed = Date.now();
    const inputs = fc.sample(
      fc.oneof(
        fc.double(),
        fc.integer().map((n) => n / 1000),
        fc.integer({ min: -20, max: 20 }).map((e) => 10 ** e),
        fc.integer({ min: 0, max: 2 ** 40 }).map((n) => n + 0.5),
      ),
      { numRuns: 3000, seed },
    );
    compareAll("pyFloat", inputs, pyFloat, python("repr(float(v))", floatJson(inputs)), seed);
  });
});

describe("pyStr", () => {
  test("scalars", () => {
    assert.equal(pyStr(true), "True");
    assert.equal(pyStr(false), "False");
    assert.equal(pyStr(null), "None");
    assert.equal(pyStr(128), "128");
    assert.equal(pyStr(-0), "0");
    assert.equal(pyStr(2.5), "2.5");
    assert.equal(pyStr(1e21), "1e+21");
    assert.equal(pyStr(2 ** 60), "1152921504606847000");
    assert.equal(pyStr(""), "");
    assert.equal(pyStr("it's \\ raw\n"), "it's \\ raw\n");
  });

  test("lists use repr for members", () => {
    assert.equal(pyStr([]), "[]");
    assert.equal(pyStr(["a", 1, 2.5, true, null, ["n"]]), "['a', 1, 2.5, True, None, ['n']]");
    assert.equal(pyStr(["it's"]), `["it's"]`);
    assert.equal(pyStr([`it's "x"`]), `['it\\'s "x"']`);
    assert.equal(
      pyStr(["a\\b\n\t\r\x00\x7f\x85\xa0é\u2028\u{1f600}\ud800"]),
      `['a\\\\b\\n\\t\\r\\x00\\x7f\\x85\\xa0é\\u2028\u{1f600}\\ud800']`,
    );
    assert.equal(pyStr([{ a: 1, "b'": [null] }] as HvValue), `[{'a': 1, "b'": [None]}]`);
  });

  test("Python 3.11 (Unicode 14) decides what is printable, not Node's newer tables", () => {
    assert.equal(pyStrRepr("\u{1e030}"), "'\\U0001e030'");
    assert.equal(pyStrRepr("\u{1f6dc}"), "'\\U0001f6dc'");
    assert.equal(pyStrRepr("\u{1f600}"), "'\u{1f600}'");
  });

  test("matches Python's str() on random JSON values", () => {
    const seed = Date.now();
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(
        fc.boolean(),
        fc.constant(null),
        fc.double({ noNaN: true, noDefaultInfinity: true }),
        fc.integer(),
        pyishString,
      ),
      list: fc.array(fc.oneof(tie("leaf"), tie("list"), tie("dict")), { maxLength: 4 }),
      dict: fc.dictionary(pyishString, fc.oneof(tie("leaf"), tie("list")), { maxKeys: 3 }),
      top: fc.oneof(tie("leaf"), tie("list"), tie("dict")),
    })).top;
    const inputs = [
      ...fc.sample(value, { numRuns: 2000, seed }),
      ...fc.sample(fc.jsonValue({ maxDepth: 2 }), { numRuns: 500, seed }),
    ];
    compareAll("pyStr", inputs, (v) => pyStr(v as HvValue), python("str(v)", JSON.stringify(inputs)), seed);
  });

  test("matches Python's repr() on random strings", () => {
    const seed = Date.now();
    const inputs = fc.sample(pyishString, { numRuns: 3000, seed });
    compareAll("pyStrRepr", inputs, pyStrRepr, python("repr(v)", JSON.stringify(inputs)), seed);
  });
});

describe("pyUpper and envVarName", () => {
  test("examples", () => {
    assert.equal(envVarName("dhcp"), "OSP_DHCP");
    assert.equal(envVarName("weird-Param.name"), "OSP_WEIRD_PARAM.NAME");
    assert.equal(envVarName("a-b_c"), "OSP_A_B_C");
    assert.equal(envVarName("straße"), "OSP_STRASSE");
    assert.equal(pyUpper("\u019b"), "\u019b");
  });

  test("match Python's upper() on random strings", () => {
    const seed = Date.now();
    const inputs = fc.sample(pyishString, { numRuns: 3000, seed });
    const theirs = python('"OSP_%s" % v.upper().replace("-", "_")', JSON.stringify(inputs));
    compareAll("envVarName", inputs, envVarName, theirs, seed);
  });

  test("every code point uppers like Python", () => {
    const all: string[] = [];
    for (let cp = 0; cp < 0x110000; cp++) if (cp < 0xd800 || cp > 0xdfff) all.push(String.fromCodePoint(cp));
    const theirs = python("v.upper()", JSON.stringify(all));
    all.forEach((ch, i) => {
      if (pyUpper(ch) !== theirs[i])
        assert.fail(`pyUpper(U+${ch.codePointAt(0)!.toString(16)}) differs from Python`);
    });
  });
});
