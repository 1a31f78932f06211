import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { coreEnv } from "../../src/env/index.js";
import { isGuestosError } from "../../src/errors.js";
import { findOs, validateOs } from "../../src/osdef/index.js";
import {
  buildValidateOsTree,
  VALIDATE_BLANK_LINE_CASE,
  VALIDATE_CASES,
  type ValidateCase,
} from "../fixtures/validate-os.js";
import { askOracle, requireGaneti, type ValidateAnswer } from "./ganeti.js";
import { makeTempDir, removeTempDir } from "./compare.js";

// Parity with Ganeti's ValidateOS(True, os, ["parameters"], osparams, force_variant), which runs the OS's
// real verify script. Same verdict, same message; the one adjustment: the names in "The following
// parameters are not supported ..." are compared as a set, since Ganeti joins a frozenset (its order is
// the hash seed's, different in every Ganeti process).

let tmp: string | undefined;
let searchPath: string[] = [];

before(async () => {
  tmp = await makeTempDir("validate");
  searchPath = [await buildValidateOsTree(join(tmp, "os"))];
});
after(() => removeTempDir(tmp));

const UNSUPPORTED = /^(The following parameters are not supported by the OS [^:]+: )(.*)$/s;

/** The message with an unsupported-parameter list turned into a sorted set. */
function comparableMessage(message: string): string {
  const m = UNSUPPORTED.exec(message);
  return m === null ? message : m[1]! + m[2]!.split(", ").sort().join(", ");
}

async function ourVerdict(c: ValidateCase): Promise<{ ok: true } | { ok: false; message: string }> {
  try {
    await validateOs(c.os, { searchPath, osparams: c.osparams, forceVariant: c.forceVariant === true });
    return { ok: true };
  } catch (err) {
    assert.ok(isGuestosError(err), `validateOs threw a non-GuestosError: ${String(err)}`);
    return { ok: false, message: err.message };
  }
}

function request(c: ValidateCase) {
  return {
    kind: "validate" as const,
    name: c.os,
    search_path: searchPath,
    osparams: c.osparams,
    force_variant: c.forceVariant === true,
  };
}

/** The variables a verify script printed (one NAME=value per line: the fixture's ENV_DUMP_AWK). */
function printedEnv(message: string): Record<string, string> {
  const output = message.slice(message.indexOf("output: ") + "output: ".length);
  const env: Record<string, string> = {};
  for (const line of output.split("\n").filter((l) => l !== "")) {
    const eq = line.indexOf("=");
    env[line.slice(0, eq)] = line
      .slice(eq + 1)
      .replaceAll("<LF>", "\n")
      .replaceAll("<CR>", "\r");
  }
  return env;
}

describe("validate parity with Ganeti's ValidateOS", () => {
  test("every case: same verdict, same message", async (t) => {
    if (!requireGaneti(t)) return;
    const answers: ValidateAnswer[] = await askOracle(VALIDATE_CASES.map(request));
    for (const [i, c] of VALIDATE_CASES.entries()) {
      await t.test(`${c.name}: ${c.what}`, async () => {
        const g = answers[i]!;
        const ours = await ourVerdict(c);
        if (g.ok) {
          assert.deepEqual(ours, { ok: true });
          return;
        }
        assert.equal(g.exception, "RPCFail", `Ganeti crashed: ${g.exception}: ${g.message}`);
        assert.equal(ours.ok, false, `Ganeti rejected with: ${g.message}`);
        assert.equal(comparableMessage((ours as { message: string }).message), comparableMessage(g.message));
      });
    }
  });

  test("verify receives exactly coreEnv", async (t) => {
    if (!requireGaneti(t)) return;
    const cases = VALIDATE_CASES.filter((c) => c.os.startsWith("vtenv"));
    const answers: ValidateAnswer[] = await askOracle(cases.map(request));
    for (const [i, c] of cases.entries()) {
      await t.test(c.name, async () => {
        const g = answers[i]!;
        assert.ok(!g.ok, "the env-printing verify always fails");
        const os = await findOs(c.os, searchPath);
        const ours = coreEnv(c.os, os, { osparams: c.osparams, debugLevel: 0 });
        assert.deepEqual(ours, printedEnv(g.message));
      });
    }
  });

  test("a blank line in parameters.list: Ganeti crashes, guestos ignores it (design decision)", async (t) => {
    if (!requireGaneti(t)) return;
    const [g] = await askOracle([request(VALIDATE_BLANK_LINE_CASE)]);
    assert.deepEqual(g.ok ? g : { exception: g.exception, message: g.message }, {
      exception: "IndexError",
      message: "list index out of range",
    });
    assert.deepEqual(await ourVerdict(VALIDATE_BLANK_LINE_CASE), { ok: true });
  });
});
