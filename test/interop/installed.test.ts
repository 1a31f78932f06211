import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { diagnoseRaw, findOs } from "../../src/osdef/index.js";
import { askOracle, DEBIAN_OS_SEARCH_PATH, requireGaneti } from "./ganeti.js";
import { adjustedOracleOs, adjustedTuple, definitionAsOracle, verdictAsTuple } from "./compare.js";

// The OS definitions Debian installs with Ganeti (ganeti-os-noop, ganeti-instance-debootstrap), judged by
// guestos and by DiagnoseOS over Debian's own search path.

const INSTALLED = ["noop", "debootstrap"];

describe("the installed OS definitions", () => {
  test("DiagnoseOS over Debian's search path", async (t) => {
    if (!requireGaneti(t)) return;
    const [g] = await askOracle([{ kind: "diagnose", search_path: DEBIAN_OS_SEARCH_PATH }]);
    const ours = await diagnoseRaw(DEBIAN_OS_SEARCH_PATH);
    await t.test("the same entries (order: see diagnose.test.ts)", () => {
      assert.deepEqual(ours.map((v) => v.path).sort(), g.oses.map((e) => e.path).sort());
    });
    for (const name of INSTALLED) {
      await t.test(name, () => {
        const theirs = g.oses.find((e) => e.name === name);
        assert.ok(
          theirs !== undefined,
          `${name} is not installed: apt-get install ganeti-os-noop ganeti-instance-debootstrap`,
        );
        assert.equal(theirs.valid, true, `Ganeti says ${name} is invalid: ${theirs.diagnose}`);
        const mine = ours.find((v) => v.name === name);
        assert.ok(mine !== undefined);
        assert.deepEqual(verdictAsTuple(mine), adjustedTuple(theirs));
      });
    }
  });

  test("findOs equals OSFromDisk for noop and debootstrap+default", async (t) => {
    if (!requireGaneti(t)) return;
    const answers = await askOracle(
      INSTALLED.map((name) => ({
        kind: "try_os" as const,
        name,
        base_dir: null,
        search_path: DEBIAN_OS_SEARCH_PATH,
      })),
    );
    for (const [i, name] of INSTALLED.entries()) {
      await t.test(name, async () => {
        const g = answers[i]!;
        assert.ok(g.ok, `Ganeti: ${g.ok ? "" : g.message}`);
        const full = name === "debootstrap" ? "debootstrap+default" : name;
        assert.deepEqual(
          definitionAsOracle(await findOs(full, DEBIAN_OS_SEARCH_PATH)),
          adjustedOracleOs(g.os),
        );
      });
    }
  });
});
