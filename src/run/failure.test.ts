import { pyStrRepr } from "../env/pyrepr.js";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";

import {
  execFailureMessage,
  failReason,
  pyFixed2,
  pyOsErrorText,
  scriptFailureMessage,
  shellQuoteArgs,
} from "./failure.js";

const PYTHON = "/usr/bin/python3";
const GANETI = "/usr/share/ganeti/default";
const haveGaneti = fs.existsSync(PYTHON) && fs.existsSync(`${GANETI}/ganeti/utils/process.py`);

/** Evaluates the Python expression `expr` over each input `v`, with Ganeti importable. */
function python(expr: string, inputs: unknown[]): unknown[] {
  const script = [
    "import json, sys",
    `sys.path.insert(0, ${JSON.stringify(GANETI)})`,
    "from ganeti import utils",
    "from ganeti.utils import process",
    `print(json.dumps([${expr} for v in json.loads(sys.stdin.read())]))`,
  ].join("\n");
  const out = execFileSync(PYTHON, ["-c", script], { input: JSON.stringify(inputs), maxBuffer: 64 << 20 });
  return JSON.parse(out.toString()) as unknown[];
}

const skip = !haveGaneti && "no Ganeti here";

describe("pyFixed2", () => {
  test("rounds exact ties to even, like Python", () => {
    assert.equal(pyFixed2(0.125), "0.12");
    assert.equal(pyFixed2(0.375), "0.38");
    assert.equal(pyFixed2(-0.125), "-0.12");
    assert.equal(pyFixed2(0.005), "0.01"); // not a tie in binary
    assert.equal(pyFixed2(0.3), "0.30");
    assert.equal(pyFixed2(5), "5.00");
  });

  test("matches Python's %.2f", { skip }, () => {
    const values = [
      ...Array.from({ length: 2001 }, (_, ms) => ms / 1000),
      ...fc.sample(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { numRuns: 500, seed: 3 }),
    ];
    assert.deepEqual(
      values.map((v) => pyFixed2(v)),
      python('"%.2f" % v', values),
    );
  });
});

describe("failReason", () => {
  test("Ganeti's wording", () => {
    assert.equal(failReason(3, null, null), "exited with exit code 3");
    assert.equal(failReason(null, 9, null), "terminated by signal 9");
    assert.equal(
      failReason(null, 15, { cause: "timeout", seconds: 0.3, killed: false, lingerSeconds: 0.2 }),
      "terminated by signal 15, terminated after timeout of 0.30 seconds",
    );
    assert.equal(
      failReason(null, 9, { cause: "timeout", seconds: 3600, killed: true, lingerSeconds: 5 }),
      "terminated by signal 9, force termination after timeout of 3600.00 seconds and linger for another 5.00 seconds",
    );
    assert.equal(
      failReason(null, 15, { cause: "abort", seconds: 0, killed: false, lingerSeconds: 5 }),
      "terminated by signal 15, terminated after abort",
    );
    assert.equal(
      failReason(0, null, { cause: "abort", seconds: 0, killed: true, lingerSeconds: 0.2 }),
      "exited with exit code 0, force termination after abort and linger for another 0.20 seconds",
    );
  });

  test("matches Ganeti's RunResult.fail_reason", { skip }, () => {
    // (exit code, signal, timeout action: 0 none / 1 TERM / 2 KILL, timeout seconds); linger is 5 s upstream.
    const cases: [number | null, number | null, 0 | 1 | 2, number][] = [
      [1, null, 0, 0],
      [255, null, 0, 0],
      [null, 9, 0, 0],
      [null, 15, 1, 0.3],
      [null, 15, 1, 86400],
      [null, 9, 2, 1.234],
      [7, null, 1, 10],
      [null, 9, 2, 0.125],
    ];
    const ours = cases.map(([code, sig, action, secs]) =>
      failReason(
        code,
        sig,
        action === 0 ? null : { cause: "timeout", seconds: secs, killed: action === 2, lingerSeconds: 5 },
      ),
    );
    assert.deepEqual(
      ours,
      python('process.RunResult(v[0], v[1], "", "", "cmd", v[2], v[3]).fail_reason', cases),
    );
  });
});

describe("scriptFailureMessage", () => {
  test("create and rename", () => {
    assert.equal(
      scriptFailureMessage("create", "exited with exit code 1", ["a\\tb", "c"]),
      "OS create script failed (exited with exit code 1), last lines in the log file:\na\\tb\nc",
    );
    assert.equal(
      scriptFailureMessage("rename", "terminated by signal 9", []),
      "OS rename script failed (terminated by signal 9), last lines in the log file:\n",
    );
  });
});

describe("exec failure texts", () => {
  test("ENOENT is Ganeti's OpExecError, the rest the bare OSError", () => {
    assert.equal(
      execFailureMessage(["/srv/os/x/create"], "ENOENT", "/srv/os/x/create"),
      "Can't execute '/srv/os/x/create': not found ([Errno 2] No such file or directory: '/srv/os/x/create')",
    );
    assert.equal(
      execFailureMessage(["/srv/it's/create", "parameters"], "ENOENT", "/srv/it's/create"),
      `Can't execute ''/srv/it'\\''s/create' parameters': not found ([Errno 2] No such file or directory: "/srv/it's/create")`,
    );
    assert.equal(pyOsErrorText("EACCES", "/x"), "[Errno 13] Permission denied: '/x'");
    assert.equal(pyOsErrorText("ENOEXEC", "/x"), "[Errno 8] Exec format error: '/x'");
  });

  test("shellQuoteArgs matches Ganeti's ShellQuoteArgs", { skip }, () => {
    const argvs = fc.sample(
      fc.array(fc.string({ unit: "binary", maxLength: 12 }), { minLength: 1, maxLength: 4 }),
      {
        numRuns: 300,
        seed: 11,
      },
    );
    assert.deepEqual(
      argvs.map((a) => shellQuoteArgs(a)),
      python("utils.ShellQuoteArgs(v)", argvs),
    );
  });

  test("pyStrRepr (used for OSError file names) matches Python's repr", { skip }, () => {
    const chars = fc.constantFrom(
      "'",
      '"',
      "\\",
      "\t",
      "\n",
      "\r",
      "\x00",
      "\x7f",
      "\x85",
      "\xa0",
      "é",
      "€",
      "\u2028",
      " ",
    );
    const strings = fc.sample(
      fc
        .array(fc.oneof(chars, fc.string({ unit: "grapheme-ascii", maxLength: 6 })), { maxLength: 8 })
        .map((p) => p.join("")),
      { numRuns: 400, seed: 5 },
    );
    assert.deepEqual(
      strings.map((s) => pyStrRepr(s)),
      python("repr(v)", strings),
    );
  });
});
