import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseInstanceSpec, scriptEnv, type InstanceSpec } from "../../src/env/index.js";
import { findOs, type OsDefinition } from "../../src/osdef/index.js";
import { buildEnvOsTree, SPEC_CASES } from "../fixtures/specs.js";
import { askOracle, requireGaneti, toOracleInstance, type EnvAnswer, type OracleError } from "./ganeti.js";
import { comparableEnv, makeTempDir, removeTempDir } from "./compare.js";

// Parity of every script's environment with what Ganeti's backend builds (InstanceOsAdd, RunRenameInstance,
// _GetImportExportIoCommand), for every spec of test/fixtures/specs.ts. Documented adjustments only
// (compare.ts): LC_ALL dropped from ours for import/export, NIC network tags compared as a set. Values,
// presence and key order must otherwise be identical.

const OLD_NAME = "old-name.example.com";

let tmp: string | undefined;
let searchPath: string[] = [];

before(async () => {
  tmp = await makeTempDir("env");
  searchPath = [await buildEnvOsTree(join(tmp, "os"))];
});
after(() => removeTempDir(tmp));

type Kind = "create" | "reinstall" | "rename" | "import" | "export";

function isError(x: unknown): x is OracleError {
  return typeof x === "object" && x !== null && "error" in x;
}

/** Compare our env with Ganeti's: first as a map (readable diff), then the key order. */
function assertSameEnv(ours: Record<string, string>, ganeti: Record<string, string>, ie: boolean): void {
  const mine = comparableEnv(ours, { dropLcAll: ie });
  const theirs = comparableEnv(ganeti);
  assert.deepEqual(mine, theirs);
  assert.deepEqual(Object.keys(mine), Object.keys(theirs), "same variables, different order");
}

function ourEnv(kind: Kind, os: OsDefinition, spec: InstanceSpec, disk?: number): Record<string, string> {
  return scriptEnv(kind, os, spec, { oldName: OLD_NAME, ...(disk === undefined ? {} : { disk }) });
}

describe("env parity with Ganeti's backend", () => {
  test("every spec, every script", async (t) => {
    if (!requireGaneti(t)) return;
    const specs = SPEC_CASES.map((c) => parseInstanceSpec(c.spec));
    const answers: EnvAnswer[] = await askOracle(
      specs.map((spec) => ({
        kind: "env" as const,
        instance: toOracleInstance(spec, searchPath, { oldName: OLD_NAME }),
      })),
    );

    for (const [i, c] of SPEC_CASES.entries()) {
      const spec = specs[i]!;
      const ops = answers[i]!.operations;
      await t.test(`${c.name}: ${c.what}`, async (t2) => {
        const os = await findOs(spec.os, searchPath);
        for (const kind of ["create", "reinstall", "rename"] as const) {
          await t2.test(kind, () => {
            const g = ops[kind];
            assert.ok(g !== undefined && !isError(g), `Ganeti failed: ${JSON.stringify(g)}`);
            assertSameEnv(ourEnv(kind, os, spec), g.env, false);
          });
        }
        for (const kind of ["import", "export"] as const) {
          const perDisk = ops[kind];
          await t2.test(`${kind}: one env per disk`, () => {
            assert.ok(Array.isArray(perDisk), `Ganeti failed: ${JSON.stringify(perDisk)}`);
            assert.equal(perDisk.length, spec.disks.length);
          });
          if (!Array.isArray(perDisk)) continue;
          for (const [d, g] of perDisk.entries()) {
            await t2.test(`${kind} disk ${d}`, () => {
              assert.ok(!isError(g), `Ganeti failed: ${JSON.stringify(g)}`);
              assertSameEnv(ourEnv(kind, os, spec, d), g.env, true);
            });
          }
        }
      });
    }
  });

  test("the oracle ran with its documented patches and a fixed hash seed", async (t) => {
    if (!requireGaneti(t)) return;
    const spec = parseInstanceSpec(SPEC_CASES[0]!.spec);
    const [a] = await askOracle([{ kind: "env", instance: toOracleInstance(spec, searchPath) }]);
    assert.deepEqual(a.patches.map((p) => p.id).sort(), [
      "PYTHONHASHSEED",
      "capture_runcmd",
      "file_storage_paths",
      "logging.disable",
      "os_search_path",
      "stub_devices",
      "sys.path",
    ]);
    assert.match(a.patches.find((p) => p.id === "PYTHONHASHSEED")!.what, /=0$/);
  });
});
