import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { GuestosError } from "../errors.js";
import { requireDeps } from "../../test/interop/deps.js";
import {
  BES_PARAMETER_COMPAT,
  BES_PARAMETER_TYPES,
  HVS_PARAMETER_TYPES,
  INIC_PARAMS_TYPES,
} from "./hvdata.js";
import {
  enforceTypes,
  fillParams,
  normalizeDefaults,
  updateParams,
  upgradeBeParams,
  VALUE_DEFAULT,
} from "./params.js";
import type { ParamDict, ParamValue } from "./types.js";

const GANETI_DEPS = [
  { path: "/usr/bin/python3", pkg: "python3" },
  { path: "/usr/share/ganeti/default/ganeti/utils/__init__.py", pkg: "ganeti-3.0" },
];

interface Case {
  dict: Record<string, ParamValue>;
  types: Record<string, string>;
  allowed?: ParamValue[];
}
type Outcome = { ok: ParamDict } | { error: string; exc: string };

/** Ganeti's ForceDictType over every case, in one Python process. */
function ganeti(cases: Case[]): Outcome[] {
  const script = [
    "import json, sys",
    'sys.path.insert(0, "/usr/share/ganeti/default")',
    "from ganeti import utils",
    "import math",
    "def enc(v):",
    "  return 'float:' + repr(v) if isinstance(v, float) and not math.isfinite(v) else v",
    "def run(c):",
    "  d = dict(c['dict'])",
    "  try:",
    "    utils.ForceDictType(d, c['types'], c.get('allowed'))",
    "    return {'ok': {k: enc(v) for k, v in d.items()}}",
    "  except Exception as e:",
    "    return {'error': str(e), 'exc': type(e).__name__}",
    "print(json.dumps([run(c) for c in json.loads(sys.stdin.read())]))",
  ].join("\n");
  const out = execFileSync("/usr/bin/python3", ["-c", script], { input: JSON.stringify(cases) });
  return JSON.parse(out.toString()) as Outcome[];
}

// JSON has no inf or nan: both sides write them as Python's repr.
const enc = (v: ParamValue): ParamValue =>
  typeof v === "number" && !Number.isFinite(v)
    ? `float:${Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf"}`
    : v;

function ours(c: Case): Outcome {
  try {
    const typed = enforceTypes(c.dict, c.types, c.allowed ? { allowedValues: c.allowed } : {});
    return { ok: Object.fromEntries(Object.entries(typed).map(([k, v]) => [k, enc(v)])) };
  } catch (err) {
    assert.ok(err instanceof GuestosError);
    return { error: err.message, exc: err.code };
  }
}

const paramError = (code: string, message: string) => (err: unknown) =>
  err instanceof GuestosError && err.code === code && err.message === message;

const BE = BES_PARAMETER_COMPAT;

describe("enforceTypes", () => {
  test("converts as ForceDictType does", () => {
    assert.deepEqual(
      enforceTypes(
        {
          maxmem: "1G",
          minmem: "100",
          vcpus: " 2 ",
          auto_balance: "FALSE",
          always_failover: true,
          spindle_use: false,
        },
        BE,
      ),
      { maxmem: 1024, minmem: 100, vcpus: 2, auto_balance: false, always_failover: true, spindle_use: 0 },
    );
    assert.deepEqual(
      enforceTypes({ acpi: "", kernel_path: false, vnc_bind_address: "x" }, HVS_PARAMETER_TYPES),
      {
        acpi: false,
        kernel_path: "",
        vnc_bind_address: "x",
      },
    );
    assert.deepEqual(enforceTypes({ ip: null, name: false, mac: "auto" }, INIC_PARAMS_TYPES), {
      ip: null,
      name: "",
      mac: "auto",
    });
    // A bare key is true, no_key false, -key null; bools take those as they are.
    assert.deepEqual(enforceTypes({ acpi: true, usb_mouse: "", use_chroot: null }, HVS_PARAMETER_TYPES), {
      acpi: true,
      usb_mouse: "",
      use_chroot: false,
    });
  });

  test("Ganeti's messages", () => {
    assert.throws(
      () => enforceTypes({ foo: "1" }, BE),
      paramError("PARAM_UNKNOWN", "Unknown parameter 'foo'"),
    );
    assert.throws(
      () => enforceTypes({ maxmem: "abc" }, BE),
      paramError("PARAM_TYPE", "'maxmem' (value abc) is not a valid size. error: Invalid format"),
    );
    assert.throws(
      () => enforceTypes({ maxmem: "1k" }, BE),
      paramError("PARAM_TYPE", "'maxmem' (value 1k) is not a valid size. error: Unknown unit: k"),
    );
    assert.throws(
      () => enforceTypes({ maxmem: true }, BE),
      paramError("PARAM_TYPE", "'maxmem' (value True) is not a valid size. error: Invalid format"),
    );
    assert.throws(
      () => enforceTypes({ acpi: "yes" }, HVS_PARAMETER_TYPES),
      paramError("PARAM_TYPE", "'acpi' (value yes) is not a valid boolean"),
    );
    assert.throws(
      () => enforceTypes({ vcpus: "1.5" }, BE),
      paramError("PARAM_TYPE", "'vcpus' (value 1.5) is not a valid integer"),
    );
    assert.throws(
      () => enforceTypes({ vcpus: null }, BE),
      paramError("PARAM_TYPE", "'vcpus' (value None) is not a valid integer"),
    );
    assert.throws(
      () => enforceTypes({ kernel_path: true }, HVS_PARAMETER_TYPES),
      paramError("PARAM_TYPE", "'kernel_path' (value True) is not a valid string"),
    );
    assert.throws(
      () => enforceTypes({ kernel_path: null }, HVS_PARAMETER_TYPES),
      paramError("PARAM_TYPE", "'kernel_path' (value None) is not a valid string"),
    );
    assert.throws(
      () => enforceTypes({ x: "a" }, { x: "float" }),
      paramError("PARAM_TYPE", "'x' (value a) is not a valid float"),
    );
    assert.throws(
      () => enforceTypes(false, BE),
      paramError("PARAM_TYPE", "Expected dictionary, got 'False'"),
    );
    assert.throws(() => enforceTypes(null, BE), paramError("PARAM_TYPE", "Expected dictionary, got 'None'"));
    assert.throws(
      () => enforceTypes({ x: "a" }, { x: "blob" }),
      paramError("INTERNAL", "'x' has non-enforceable type blob"),
    );
  });

  test("keys are checked in order: a bad value before an unknown key wins", () => {
    assert.throws(
      () => enforceTypes({ vcpus: "x", foo: "1" }, BE),
      paramError("PARAM_TYPE", "'vcpus' (value x) is not a valid integer"),
    );
    assert.throws(
      () => enforceTypes({ foo: "1", vcpus: "x" }, BE),
      paramError("PARAM_UNKNOWN", "Unknown parameter 'foo'"),
    );
  });

  test("allowed values pass untouched; `what` names the known keys in the hint", () => {
    assert.deepEqual(enforceTypes({ maxmem: "default" }, BE, { allowedValues: [VALUE_DEFAULT] }), {
      maxmem: "default",
    });
    try {
      enforceTypes({ foo: "1" }, BES_PARAMETER_TYPES, { what: "backend" });
      assert.fail("no error");
    } catch (err) {
      assert.ok(err instanceof GuestosError);
      assert.equal(
        err.hint,
        "known backend parameters: always_failover, auto_balance, maxmem, minmem, spindle_use, vcpus",
      );
    }
  });

  test("hostile keys stay plain data", () => {
    const out = enforceTypes(JSON.parse('{"__proto__": "x"}') as Record<string, ParamValue>, {
      ["__proto__"]: "string",
    });
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.deepEqual(Object.keys(out), ["__proto__"]);
    assert.throws(
      () => enforceTypes({ toString: "x" }, BE),
      paramError("PARAM_UNKNOWN", "Unknown parameter 'toString'"),
    );
  });

  test("integers Python keeps exactly but JavaScript cannot are refused", () => {
    assert.throws(
      () => enforceTypes({ vcpus: "9007199254740993" }, BE),
      paramError(
        "PARAM_TYPE",
        'Cannot set "vcpus" to 9007199254740993: integers beyond ±9007199254740991 are not supported',
      ),
    );
  });

  test("agrees with Ganeti's ForceDictType", (t) => {
    if (!requireDeps(t, GANETI_DEPS)) return;
    const types = { s: "string", ms: "maybe-string", b: "bool", z: "size", i: "int", f: "float" };
    const values: ParamValue[] = [
      "",
      "x",
      "True",
      "tRuE",
      "false",
      "no",
      "0",
      "1",
      " 12 ",
      "+3",
      "-4",
      "1_000",
      "1__0",
      "\u0663",
      "1.5",
      "1e3",
      " inf",
      "-Infinity",
      "nan",
      "1_0.5",
      "._5",
      "1g",
      "1.5G",
      "2 t",
      "1.2.3",
      "\u00b2",
      true,
      false,
      null,
      0,
      1,
      7,
      -3,
      2.5,
      ["a"],
      [],
    ];
    const cases: Case[] = [];
    for (const key of Object.keys(types)) for (const v of values) cases.push({ dict: { [key]: v }, types });
    cases.push({ dict: { s: "default", i: "default" }, types, allowed: ["default"] });
    cases.push({ dict: { nope: 1 }, types });
    const theirs = ganeti(cases);
    cases.forEach((c, i) => {
      const mine = ours(c);
      const want = theirs[i]!;
      const label = JSON.stringify(c.dict);
      if ("ok" in want) {
        assert.deepEqual(mine, want, label);
      } else if (want.exc === "TypeEnforcementError") {
        assert.ok(
          "error" in mine && mine.error === want.error,
          `${label}: ${JSON.stringify(mine)} vs ${want.error}`,
        );
      } else {
        // Ganeti crashes (a ValueError or OverflowError escapes); guestos refuses the value instead.
        assert.ok("error" in mine && mine.exc === "PARAM_TYPE", `${label}: ${JSON.stringify(mine)}`);
      }
    });
  });
});

describe("fillParams, updateParams, normalizeDefaults, upgradeBeParams", () => {
  test("fillParams is FillDict: own values over a copy of the defaults, minus skipped keys", () => {
    const defaults = { a: 1, b: ["x"], c: "d" };
    const filled = fillParams(defaults, { a: 2, e: null }, ["c"]);
    assert.deepEqual(filled, { a: 2, b: ["x"], e: null });
    filled.b.push("y");
    assert.deepEqual(defaults.b, ["x"]);
  });

  test('updateParams is GetUpdatedParams: exact "default" removes, null only with useNone', () => {
    const own = { maxmem: 512, vcpus: 2, auto_balance: false };
    assert.deepEqual(updateParams<ParamValue>(own, { maxmem: "default", vcpus: 4 }), {
      vcpus: 4,
      auto_balance: false,
    });
    assert.deepEqual(updateParams<ParamValue>(own, { vcpus: "Default" }), {
      maxmem: 512,
      vcpus: "Default",
      auto_balance: false,
    });
    assert.deepEqual(updateParams<ParamValue>(own, { auto_balance: null }), {
      maxmem: 512,
      vcpus: 2,
      auto_balance: null,
    });
    assert.deepEqual(updateParams<ParamValue>(own, { auto_balance: null }, { useNone: true }), {
      maxmem: 512,
      vcpus: 2,
    });
    assert.deepEqual(updateParams({ a: "x" }, { b: "default" }), { a: "x" });
    assert.deepEqual(own, { maxmem: 512, vcpus: 2, auto_balance: false });
  });

  test("normalizeDefaults lower-cases any spelling of default, and only that", () => {
    assert.deepEqual(normalizeDefaults({ a: "DEFAULT", b: "DeFault", c: "defaults", d: true }), {
      a: "default",
      b: "default",
      c: "defaults",
      d: true,
    });
  });

  test("upgradeBeParams: memory sets maxmem and minmem, overriding them", () => {
    assert.deepEqual(upgradeBeParams({ memory: 512, maxmem: 1024, vcpus: 1 }), {
      maxmem: 512,
      vcpus: 1,
      minmem: 512,
    });
    assert.deepEqual(upgradeBeParams({ vcpus: 1 }), { vcpus: 1 });
    // On modify the job removes "memory" first when it is "default" (nothing to remove), so nothing changes.
    const own = { maxmem: 256, minmem: 256 };
    assert.deepEqual(
      upgradeBeParams(updateParams<ParamValue>(own, { memory: "default" }, { useNone: true })),
      own,
    );
  });
});
