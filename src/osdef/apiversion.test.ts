import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  API5_HINT,
  PY_API_VERSIONS_SET,
  apiMismatchHint,
  apiMismatchMessage,
  parseApiVersionFile,
} from "./apiversion.js";

const PY_PARSE = `
def f(text):
    try:
        return ["ok", [int(v.strip()) for v in text.splitlines()]]
    except (TypeError, ValueError) as err:
        return ["err", "API version(s) can't be converted to integer: %s" % str(err)]`;

function python(body: string, inputs: unknown[]): unknown[] {
  const script = `import json, sys\nsys.path.insert(0, "/usr/share/ganeti/default")\n${body}\nvals = json.loads(sys.stdin.read())\nprint(json.dumps([f(v) for v in vals]))`;
  const out = execFileSync("/usr/bin/python3", ["-c", script], {
    input: JSON.stringify(inputs),
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.toString()) as unknown[];
}

describe("parseApiVersionFile", () => {
  test("one integer per line, in file order, duplicates kept", () => {
    assert.deepEqual(parseApiVersionFile("20\n15\n10\n"), { ok: true, versions: [20, 15, 10] });
    assert.deepEqual(parseApiVersionFile(" 20 \r\n20"), { ok: true, versions: [20, 20] });
    assert.deepEqual(parseApiVersionFile(""), { ok: true, versions: [] });
    assert.deepEqual(parseApiVersionFile("1_0\n+15\n\u0662\u0660"), { ok: true, versions: [10, 15, 20] });
  });

  test("any bad line fails with Python's int() error", () => {
    const err = (e: string) => ({ ok: false, message: `API version(s) can't be converted to integer: ${e}` });
    assert.deepEqual(parseApiVersionFile("ten"), err("invalid literal for int() with base 10: 'ten'"));
    assert.deepEqual(parseApiVersionFile("20\n\n"), err("invalid literal for int() with base 10: ''"));
    assert.deepEqual(
      parseApiVersionFile("# API\n20"),
      err("invalid literal for int() with base 10: '# API'"),
    );
    assert.deepEqual(parseApiVersionFile("20\x1f\n"), { ok: true, versions: [20] });
    assert.deepEqual(
      parseApiVersionFile("\ufeff20"),
      err("invalid literal for int() with base 10: '\\ufeff20'"),
    );
  });

  test("decimal lists round-trip", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1000, max: 1000 })),
        fc.constantFrom("\n", "\r\n", "\r", "\v"),
        (vs, nl) => {
          assert.deepEqual(parseApiVersionFile(vs.map((v) => `${v}${nl}`).join("")), {
            ok: true,
            versions: vs,
          });
        },
      ),
    );
  });

  test("same result as Ganeti's parsing on random file contents", () => {
    const unit = fc.constantFrom(..."0125 \t\n\r\v\f\x1c\x1f\x85\u2028_+-#x\u0661\ufeff".split(""));
    const inputs = fc.sample(fc.string({ unit, maxLength: 12 }), 500);
    const theirs = python(PY_PARSE, inputs);
    inputs.forEach((s, i) => {
      const r = parseApiVersionFile(s);
      assert.deepEqual(r.ok ? ["ok", r.versions] : ["err", r.message], theirs[i], JSON.stringify(s));
    });
  });
});

describe("version mismatch", () => {
  test("the set prints as str(constants.OS_API_VERSIONS) does here", () => {
    const py = python("from ganeti import constants\ndef f(v): return str(constants.OS_API_VERSIONS)", [0]);
    assert.equal(PY_API_VERSIONS_SET, py[0]);
  });

  test("message and API 5 hint", () => {
    assert.equal(
      apiMismatchMessage("/srv/os/x", [5n, 30n]),
      "API version mismatch for path '/srv/os/x': found [5, 30], want frozenset({10, 20, 15}).",
    );
    assert.equal(
      apiMismatchMessage("/d", []),
      "API version mismatch for path '/d': found [], want frozenset({10, 20, 15}).",
    );
    assert.equal(
      apiMismatchMessage("/d", [99999999999999999999n, -1n]),
      "API version mismatch for path '/d': found [99999999999999999999, -1], want frozenset({10, 20, 15}).",
    );
    assert.equal(apiMismatchHint([5n]), API5_HINT);
    assert.match(API5_HINT, /ganeti-os-interface\(7\)/);
    assert.equal(apiMismatchHint([30n]), undefined);
  });
});
