import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { pyDecimalValue, pyInt } from "./pyint.js";

/** Evaluates `expr` (Python, over `v`) for every input in one Python process. */
function python(body: string, inputs: unknown[]): unknown[] {
  const script = `import json, sys\n${body}\nvals = json.loads(sys.stdin.read())\nprint(json.dumps([f(v) for v in vals]))`;
  const out = execFileSync("/usr/bin/python3", ["-c", script], {
    input: JSON.stringify(inputs),
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.toString()) as unknown[];
}

const PY_INT = `
def f(v):
    try:
        return ["ok", str(int(v))]
    except ValueError as e:
        return ["err", str(e)]`;

const ours = (s: string): [string, string] => {
  const r = pyInt(s);
  return r.ok ? ["ok", String(r.value)] : ["err", r.message];
};

const invalid = (repr: string) => ({ ok: false, message: `invalid literal for int() with base 10: ${repr}` });

describe("pyInt", () => {
  test("what Python's int() accepts", () => {
    assert.deepEqual(pyInt("20"), { ok: true, value: 20n });
    assert.deepEqual(pyInt(" 1_0 "), { ok: true, value: 10n });
    assert.deepEqual(pyInt("+10"), { ok: true, value: 10n });
    assert.deepEqual(pyInt("-0"), { ok: true, value: 0n });
    assert.deepEqual(pyInt("010"), { ok: true, value: 10n });
    assert.deepEqual(pyInt("\u0661\u0660"), { ok: true, value: 10n });
    assert.deepEqual(pyInt("\u30001\u3000"), { ok: true, value: 1n });
    assert.deepEqual(pyInt("99999999999999999999"), { ok: true, value: 99999999999999999999n });
  });

  test("what it rejects, with its message", () => {
    assert.deepEqual(pyInt("ten"), invalid("'ten'"));
    assert.deepEqual(pyInt(""), invalid("''"));
    assert.deepEqual(pyInt("1__0"), invalid("'1__0'"));
    assert.deepEqual(pyInt("_1"), invalid("'_1'"));
    assert.deepEqual(pyInt("1_"), invalid("'1_'"));
    assert.deepEqual(pyInt("1 0"), invalid("'1 0'"));
    assert.deepEqual(pyInt("+ 1"), invalid("'+ 1'"));
    assert.deepEqual(pyInt("0x10"), invalid("'0x10'"));
    assert.deepEqual(pyInt("\u00b2"), invalid("'\u00b2'"));
    assert.deepEqual(pyInt("\ufeff10"), invalid("'\\ufeff10'"));
    assert.deepEqual(pyInt("# comment"), invalid("'# comment'"));
    const long = pyInt("x".repeat(300));
    assert.equal(long.ok, false);
    assert.equal(!long.ok && long.message, `invalid literal for int() with base 10: '${"x".repeat(199)}`);
  });

  test("the 4300-digit limit comes before trailing garbage", () => {
    const limit = (n: number) =>
      `Exceeds the limit (4300 digits) for integer string conversion: value has ${n} digits; ` +
      "use sys.set_int_max_str_digits() to increase the limit";
    assert.deepEqual(pyInt("1".repeat(5000) + "x"), { ok: false, message: limit(5000) });
    assert.deepEqual(pyInt("1_".repeat(4400) + "1"), { ok: false, message: limit(4401) });
    assert.equal(pyInt("1".repeat(4300)).ok, true);
  });

  test("decimal digit table", () => {
    assert.equal(pyDecimalValue(0x39), 9);
    assert.equal(pyDecimalValue(0x1d7ff), 9);
    assert.equal(pyDecimalValue(0x1d7ce), 0);
    assert.equal(pyDecimalValue(0xb2), -1);
    // Kawi digits arrived in Unicode 15: Node knows them, Python 3.11 does not.
    assert.equal(pyDecimalValue(0x11f50), -1);
  });

  test("values round-trip through decimal text", () => {
    fc.assert(
      fc.property(fc.bigInt(), fc.nat(3), fc.nat(3), (n, pre, post) => {
        assert.deepEqual(pyInt(" ".repeat(pre) + String(n) + "\t".repeat(post)), { ok: true, value: n });
      }),
    );
  });

  test("matches /usr/bin/python3 int() on random strings", () => {
    const unit = fc.constantFrom(
      ..."0123456789_+- \t\u00a0\u2003x#\u0661\u0669\uff15\u00b2\u00e9'\"\\\x00\x7f\u{1d7d9}\u{11f50}".split(
        /(?:)/u,
      ),
    );
    const inputs = [
      ...fc.sample(fc.string({ unit, maxLength: 8 }), 500),
      ...fc.sample(fc.stringMatching(/^[ \t]*[+-]?[0-9](_?[0-9]){0,6}[ \t]*$/), 100),
      "1".repeat(4301),
      "9".repeat(4300),
    ];
    const theirs = python(PY_INT, inputs);
    inputs.forEach((s, i) => assert.deepEqual(ours(s), theirs[i], JSON.stringify(s)));
  });
});
