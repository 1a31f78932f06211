import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";

import { pyBackslashReplace, safeEncode } from "./safeencode.js";

const PYTHON = "/usr/bin/python3";
const GANETI = "/usr/share/ganeti/default";
const haveGaneti = fs.existsSync(PYTHON) && fs.existsSync(`${GANETI}/ganeti/utils/text.py`);

/** Ganeti's own SafeEncode over every input, in one Python process. */
function ganetiSafeEncode(inputs: string[]): string[] {
  const script = [
    "import json, sys",
    `sys.path.insert(0, ${JSON.stringify(GANETI)})`,
    "from ganeti.utils.text import SafeEncode",
    "print(json.dumps([SafeEncode(v) for v in json.loads(sys.stdin.read())]))",
  ].join("\n");
  const out = execFileSync(PYTHON, ["-c", script], { input: JSON.stringify(inputs), maxBuffer: 64 << 20 });
  return JSON.parse(out.toString()) as string[];
}

describe("safeEncode", () => {
  test("escapes like Ganeti, including the \\'r quirk", () => {
    assert.equal(safeEncode("a\tb"), "a\\tb");
    assert.equal(safeEncode("a\nb"), "a\\nb");
    assert.equal(safeEncode("a\rb"), "a\\'rb");
    assert.equal(safeEncode("\x00\x1b[31m\x7f"), "\\x00\\x1b[31m\\x7f");
    assert.equal(safeEncode("it's a \\ back'slash"), "it's a \\ back'slash");
    assert.equal(safeEncode("é€😀"), "\\xe9\\u20ac\\U0001f600");
    assert.equal(safeEncode("\x85"), "\\x85");
    assert.equal(safeEncode(""), "");
  });

  test("backslashreplace shows lone surrogates as \\udcxx", () => {
    assert.equal(pyBackslashReplace("a\udc85b"), "a\\udc85b");
  });

  test("matches Ganeti's SafeEncode on random text", { skip: !haveGaneti && "no Ganeti here" }, () => {
    const special = fc.constantFrom(
      "\t",
      "\n",
      "\r",
      "\x00",
      "\x1f",
      "\x7f",
      "\x85",
      "'",
      "\\",
      "\udc80",
      "\ud800",
    );
    const inputs = fc.sample(
      fc
        .array(fc.oneof(fc.string({ unit: "binary" }), special), { maxLength: 8 })
        .map((parts) => parts.join("")),
      { numRuns: 500, seed: 42 },
    );
    assert.deepEqual(
      inputs.map((s) => safeEncode(s)),
      ganetiSafeEncode(inputs),
    );
  });
});
