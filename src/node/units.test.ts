import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { GuestosError } from "../errors.js";
import { requireDeps } from "../../test/interop/deps.js";
import { formatUnit, isUnitValueError, parseUnit, pyFormatFixed, type SizeUnit } from "./units.js";

const GANETI_DEPS = [
  { path: "/usr/bin/python3", pkg: "python3" },
  { path: "/usr/share/ganeti/default/ganeti/utils/text.py", pkg: "ganeti-3.0" },
];

type Parsed = { ok: number } | { error: string };

/** Ganeti's ParseUnit over `parse` and FormatUnit (every unit) over `format`, in one Python process. */
function ganeti(parse: string[], format: number[]): { parse: Parsed[]; format: string[][] } {
  const script = [
    "import json, sys",
    'sys.path.insert(0, "/usr/share/ganeti/default")',
    "from ganeti.utils.text import ParseUnit, FormatUnit",
    "def p(v):",
    "  try: return {'ok': ParseUnit(v)}",
    "  except Exception as e: return {'error': str(e)}",
    "req = json.loads(sys.stdin.read())",
    "print(json.dumps({'parse': [p(v) for v in req['parse']],",
    "  'format': [[FormatUnit(v, u) for u in 'hmgt'] for v in req['format']]}))",
  ].join("\n");
  const out = execFileSync("/usr/bin/python3", ["-c", script], {
    input: JSON.stringify({ parse, format }),
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(out.toString()) as { parse: Parsed[]; format: string[][] };
}

function ours(s: string): Parsed {
  try {
    return { ok: parseUnit(s) };
  } catch (err) {
    assert.ok(err instanceof GuestosError && err.code === "BAD_UNIT");
    return { error: err.message };
  }
}

const unitError = (message: string) => (err: unknown) =>
  err instanceof GuestosError && err.code === "BAD_UNIT" && err.message === message;

describe("parseUnit", () => {
  test("MiB by default, rounded up to an integer and then to a multiple of 4", () => {
    const cases: [string, number][] = [
      ["0", 0],
      ["1", 4],
      ["4", 4],
      ["1001", 1004],
      ["0.1", 4],
      ["512", 512],
      ["1.5g", 1536],
      ["1G", 1024],
      ["1 g", 1024],
      ["2GiB", 2048],
      ["1gb", 1024],
      ["1t", 1048576],
      ["3.0001t", 3145836],
      ["10m", 12],
      ["10MiB", 12],
      ["1.", 4],
      [".5g", 512],
      ["1\t\tm", 4],
      // Python's `$` also matches before a final newline; \d and \s are Unicode-aware.
      ["1g\n", 1024],
      ["12 \n", 12],
      ["\u0663", 4],
      ["1\u00a0g", 1024],
      ["1\x1cg", 1024],
    ];
    for (const [input, mib] of cases) assert.equal(parseUnit(input), mib, JSON.stringify(input));
  });

  test("Ganeti's error texts", () => {
    for (const bad of ["", " 1", "1e5", "-1", "1 g ", "g", "1g\n\n", "1,5"]) {
      assert.throws(() => parseUnit(bad), unitError("Invalid format"), JSON.stringify(bad));
    }
    assert.throws(() => parseUnit("1k"), unitError("Unknown unit: k"));
    assert.throws(() => parseUnit("1Q"), unitError("Unknown unit: Q"));
    assert.throws(() => parseUnit("5 KiB"), unitError("Unknown unit: KiB"));
  });

  test("where Ganeti crashes, Python's exception text", () => {
    assert.throws(() => parseUnit("1.2.3"), unitError("could not convert string to float: '1.2.3'"));
    assert.throws(() => parseUnit("..g"), unitError("could not convert string to float: '..'"));
    assert.throws(() => parseUnit("1".repeat(400)), unitError("cannot convert float infinity to integer"));
    try {
      parseUnit("1.2.3");
    } catch (err) {
      assert.ok(isUnitValueError(err));
    }
    try {
      parseUnit("1k");
    } catch (err) {
      assert.equal(isUnitValueError(err), false);
    }
  });

  test("agrees with Ganeti's ParseUnit on generated input", (t) => {
    if (!requireDeps(t, GANETI_DEPS)) return;
    const piece = fc.constantFrom(
      ..."0123456789..".split(""),
      " ",
      "\t",
      "\n",
      "\u00a0",
      "\x1c",
      "\u0663",
      "\uff11",
      "m",
      "M",
      "g",
      "G",
      "t",
      "b",
      "B",
      "i",
      "k",
      "e",
      "-",
    );
    const noisy = fc.array(piece, { maxLength: 8 }).map((a) => a.join(""));
    const sizes = fc
      .tuple(
        fc.oneof(
          fc.nat().map(String),
          fc.double({ min: 0, max: 1e7, noNaN: true }).map((d) => d.toFixed(3)),
        ),
        fc.constantFrom("", " ", "m", "MiB", "g", "Gb", "GiB", "t", "TB", "tib", "x"),
      )
      .map(([n, u]) => n + u);
    const inputs = [
      ...fc.sample(noisy, { numRuns: 120, seed: 7 }),
      ...fc.sample(sizes, { numRuns: 120, seed: 8 }),
      "9".repeat(20),
      "9".repeat(17) + "t",
      "1".repeat(400),
    ];
    const theirs = ganeti(inputs, []).parse;
    inputs.forEach((input, i) => assert.deepEqual(ours(input), theirs[i], JSON.stringify(input)));
  });
});

describe("formatUnit", () => {
  test("Ganeti's layouts", () => {
    const cases: [number, SizeUnit, string][] = [
      [512, "h", "512M"],
      [1023, "h", "1023M"],
      [1024, "h", "1.0G"],
      [10240, "h", "10.0G"],
      [1048575, "h", "1024.0G"],
      [1048576, "h", "1.0T"],
      [1572864, "h", "1.5T"],
      [512, "m", "512"],
      [512, "g", "0.5"],
      [512, "t", "0.0"],
      [0, "h", "0M"],
    ];
    for (const [mib, unit, text] of cases) assert.equal(formatUnit(mib, unit), text, `${mib} ${unit}`);
  });

  test("ties round to even on the exact value, as Python's %f does", () => {
    assert.equal(formatUnit(1280, "h"), "1.2G"); // 1.25
    assert.equal(formatUnit(1792, "h"), "1.8G"); // 1.75
    assert.equal(formatUnit(2.5, "m"), "2");
    assert.equal(formatUnit(3.5, "m"), "4");
    assert.equal(formatUnit(-1, "g"), "-0.0");
    assert.equal(pyFormatFixed(0.05, 1), "0.1"); // 0.05000000000000000277
    assert.equal(pyFormatFixed(-0, 0), "-0");
    assert.equal(pyFormatFixed(NaN, 1), "nan");
    assert.equal(pyFormatFixed(-Infinity, 1), "-inf");
    assert.equal(pyFormatFixed(5e-324, 2), "0.00");
    assert.equal(pyFormatFixed(1e22, 1), "10000000000000000000000.0");
  });

  test("agrees with Ganeti's FormatUnit on generated sizes", (t) => {
    if (!requireDeps(t, GANETI_DEPS)) return;
    const sizes = fc.oneof(
      fc.nat({ max: 4096 }),
      fc.nat({ max: 1 << 22 }).map((n) => n * 256),
      fc.nat({ max: 1 << 20 }).map((n) => n * 52429),
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.double({ min: -1e6, max: 1e13, noNaN: true }),
    );
    // JSON has no -0: it would reach Python as 0.
    const values = [...fc.sample(sizes, { numRuns: 200, seed: 42 }), 1023.5, 1048575.9, 2 ** 53].map(
      (v) => v + 0,
    );
    const theirs = ganeti([], values).format;
    values.forEach((v, i) => {
      assert.deepEqual(
        (["h", "m", "g", "t"] as const).map((u) => formatUnit(v, u)),
        theirs[i],
        String(v),
      );
    });
  });
});
