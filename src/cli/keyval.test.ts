import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { GuestosError } from "../errors.js";
import { requireDeps } from "../../test/interop/deps.js";
import { parseKeyVal, parseStringKeyVal, unescapeAndSplit } from "./keyval.js";

const GANETI_DEPS = [
  { path: "/usr/bin/python3", pkg: "python3" },
  { path: "/usr/share/ganeti/default/ganeti/utils/text.py", pkg: "ganeti-3.0" },
];

/** Ganeti's UnescapeAndSplit over every input, in one Python process. */
function ganetiSplit(inputs: string[]): string[][] {
  const script = [
    "import json, sys",
    'sys.path.insert(0, "/usr/share/ganeti/default")',
    "from ganeti.utils.text import UnescapeAndSplit",
    "print(json.dumps([UnescapeAndSplit(v) for v in json.loads(sys.stdin.read())]))",
  ].join("\n");
  const out = execFileSync("/usr/bin/python3", ["-c", script], {
    input: JSON.stringify(inputs),
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.toString()) as string[][];
}

/** Every string over `alphabet` of length 0..max, shortest first. */
function allStrings(alphabet: string[], max: number): string[] {
  const out = [""];
  let level = [""];
  for (let n = 1; n <= max; n++) {
    level = level.flatMap((s) => alphabet.map((c) => s + c));
    out.push(...level);
  }
  return out;
}

const optionError = (message: string) => (err: unknown) =>
  err instanceof GuestosError && err.code === "BAD_OPTION" && err.message === message;

describe("unescapeAndSplit", () => {
  const cases: [string, string[]][] = [
    ["", [""]],
    [",", ["", ""]],
    ["a,b", ["a", "b"]],
    ["a,,b,", ["a", "", "b", ""]],
    ["a\\,b", ["a,b"]],
    ["a\\\\,b", ["a\\", "b"]],
    ["a\\\\\\,b", ["a\\,b"]],
    ["a\\\\\\\\,b", ["a\\\\", "b"]],
    ["x\\\\\\,y,z", ["x\\,y", "z"]],
    ["a\\,b\\,c,d", ["a,b,c", "d"]],
    // A trailing backslash escapes nothing and stays.
    ["a\\", ["a\\"]],
    ["a\\\\", ["a\\"]],
    ["\\a\\=b", ["a=b"]],
    ["a\\,", ["a,"]],
    ["\\,\\,", [",,"]],
    // Python's "." does not match "\n": the backslash before a newline stays.
    ["a\\\nb", ["a\\\nb"]],
    ["a\\\rb", ["a\rb"]],
    ["\\😀,\\é", ["😀", "é"]],
  ];
  for (const [input, expected] of cases) {
    test(JSON.stringify(input), () => assert.deepEqual(unescapeAndSplit(input), expected));
  }

  test("another separator", () => {
    assert.deepEqual(unescapeAndSplit("a:b\\:c", ":"), ["a", "b:c"]);
    assert.deepEqual(unescapeAndSplit("a,b:c", ":"), ["a,b", "c"]);
  });

  test("agrees with Ganeti's UnescapeAndSplit (all short strings and random ones)", (t) => {
    if (!requireDeps(t, GANETI_DEPS)) return;
    const exhaustive = allStrings(["a", ",", "\\", "="], 6);
    const random = fc.sample(fc.string({ unit: fc.constantFrom("a", ",", "\\", "="), maxLength: 40 }), 1000);
    const wider = fc.sample(
      fc.string({ unit: fc.constantFrom("a", ",", "\\", "=", "\n", "\r", "é", "😀") }),
      500,
    );
    const inputs = [...exhaustive, ...random, ...wider];
    const theirs = ganetiSplit(inputs);
    assert.equal(theirs.length, inputs.length);
    const wrong = inputs
      .map((s, i) => ({ input: s, ours: unescapeAndSplit(s), theirs: theirs[i] }))
      .filter((r) => JSON.stringify(r.ours) !== JSON.stringify(r.theirs))
      .sort((a, b) => a.input.length - b.input.length);
    assert.deepEqual(wrong.slice(0, 5), []);
  });
});

describe("parseKeyVal", () => {
  test("empty data is an empty dict", () => {
    assert.deepEqual(parseKeyVal("-O", ""), {});
    assert.deepEqual(parseKeyVal("-O", "", { prefixes: true }), {});
  });

  test("key=value pairs; the value is everything after the first =", () => {
    assert.deepEqual(parseKeyVal("-O", "a=1,b=two"), { a: "1", b: "two" });
    assert.deepEqual(parseKeyVal("-O", "k=v=w"), { k: "v=w" });
    assert.deepEqual(parseKeyVal("-O", "k="), { k: "" });
    assert.deepEqual(parseKeyVal("-O", "=v"), { "": "v" });
  });

  test("escaped separators stay in the value", () => {
    assert.deepEqual(parseKeyVal("-O", "a=x\\,y,b=z"), { a: "x,y", b: "z" });
    assert.deepEqual(parseKeyVal("-O", "a=x\\\\,b=z"), { a: "x\\", b: "z" });
    // Unescaping comes before the split on "=", so "\=" cannot protect an "=" in a key.
    assert.deepEqual(parseKeyVal("-O", "a\\=b=c"), { a: "b=c" });
  });

  test("a key without a value is an error without prefixes", () => {
    assert.throws(() => parseKeyVal("-O", "x"), optionError("Missing value for key 'x' in option -O"));
    assert.throws(
      () => parseKeyVal("-O", "a=1,no_b"),
      optionError("Missing value for key 'no_b' in option -O"),
    );
    assert.throws(() => parseKeyVal("-O", "a=1,"), optionError("Missing value for key '' in option -O"));
    assert.throws(
      () => parseKeyVal("--os-parameters", "-c"),
      optionError("Missing value for key '-c' in option --os-parameters"),
    );
  });

  test("prefixes: bare is true, no_ is false, - is null", () => {
    assert.deepEqual(parseKeyVal("-H", "a,no_b,-c,d=no_e", { prefixes: true }), {
      a: true,
      b: false,
      c: null,
      d: "no_e",
    });
    assert.deepEqual(parseKeyVal("-H", "no_", { prefixes: true }), { "": false });
    assert.deepEqual(parseKeyVal("-H", "-", { prefixes: true }), { "": null });
    assert.deepEqual(parseKeyVal("-H", "no_no_x", { prefixes: true }), { no_x: false });
    assert.deepEqual(parseKeyVal("-H", "--x", { prefixes: true }), { "-x": null });
  });

  test("duplicate keys are an error, also across prefixes", () => {
    assert.throws(() => parseKeyVal("-O", "a=1,a=2"), optionError("Duplicate key 'a' in option -O"));
    assert.throws(() => parseKeyVal("-O", "a=1,a=1"), optionError("Duplicate key 'a' in option -O"));
    assert.throws(
      () => parseKeyVal("-H", "no_a,a", { prefixes: true }),
      optionError("Duplicate key 'a' in option -H"),
    );
    assert.throws(
      () => parseKeyVal("-H", "-a,a=1", { prefixes: true }),
      optionError("Duplicate key 'a' in option -H"),
    );
  });

  test("the first error wins, in input order", () => {
    assert.throws(() => parseKeyVal("-O", "a=1,a=2,x"), optionError("Duplicate key 'a' in option -O"));
    assert.throws(
      () => parseKeyVal("-O", "x,a=1,a=2"),
      optionError("Missing value for key 'x' in option -O"),
    );
  });

  test("__proto__ is an ordinary key", () => {
    const r = parseKeyVal("-O", "__proto__=x,constructor=y");
    assert.deepEqual(Object.keys(r), ["__proto__", "constructor"]);
    assert.equal(Object.getOwnPropertyDescriptor(r, "__proto__")?.value, "x");
    assert.equal(Object.getPrototypeOf(r), Object.prototype);
    assert.throws(
      () => parseKeyVal("-O", "__proto__=1,__proto__=2"),
      optionError("Duplicate key '__proto__' in option -O"),
    );
  });

  test("keys keep input order", () => {
    assert.deepEqual(Object.keys(parseKeyVal("-O", "z=1,a=2,m=3")), ["z", "a", "m"]);
  });

  test("parseStringKeyVal has no prefixes", () => {
    assert.deepEqual(parseStringKeyVal("-O", "greeting=hi\\, there"), { greeting: "hi, there" });
    assert.throws(
      () => parseStringKeyVal("-O", "flag"),
      optionError("Missing value for key 'flag' in option -O"),
    );
  });
});
