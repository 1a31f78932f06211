import { execFile } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { test } from "node:test";
import assert from "node:assert/strict";
import * as hvdata from "../../src/node/hvdata.js";
import { GANETI_PYTHON, requireGaneti } from "./ganeti.js";

const GENERATOR = join(dirname(fileURLToPath(import.meta.url)), "oracle", "hvdata.py");

test("src/node/hvdata.ts holds exactly Ganeti's parameter tables", async (t) => {
  if (!requireGaneti(t)) return;
  const { stdout } = await promisify(execFile)(GANETI_PYTHON, [GENERATOR], {
    env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", PYTHONDONTWRITEBYTECODE: "1", LC_ALL: "C.UTF-8" },
    maxBuffer: 16 * 1024 * 1024,
  });
  const theirs = JSON.parse(stdout) as Record<string, unknown>;
  const ours: Record<string, unknown> = {
    HYPER_TYPES: hvdata.HYPER_TYPES,
    HVC_DEFAULTS: hvdata.HVC_DEFAULTS,
    HVS_PARAMETER_TYPES: hvdata.HVS_PARAMETER_TYPES,
    HVC_GLOBALS: hvdata.HVC_GLOBALS,
    BEC_DEFAULTS: hvdata.BEC_DEFAULTS,
    BES_PARAMETER_TYPES: hvdata.BES_PARAMETER_TYPES,
    BES_PARAMETER_COMPAT: hvdata.BES_PARAMETER_COMPAT,
    NICC_DEFAULTS: hvdata.NICC_DEFAULTS,
    NICS_PARAMETER_TYPES: hvdata.NICS_PARAMETER_TYPES,
    INIC_PARAMS_TYPES: hvdata.INIC_PARAMS_TYPES,
    IDISK_PARAMS_TYPES: hvdata.IDISK_PARAMS_TYPES,
    VTYPES: hvdata.VTYPES,
    ENFORCEABLE_TYPES: hvdata.ENFORCEABLE_TYPES,
    FLOAT_DEFAULTS: hvdata.FLOAT_DEFAULTS,
  };
  // Every table the generator prints is checked, and nothing else is claimed.
  assert.deepEqual(Object.keys(ours).sort(), Object.keys(theirs).sort());
  for (const key of Object.keys(theirs)) assert.deepEqual(ours[key], theirs[key], key);
});

test("every hypervisor parameter has a type and every type is enforceable", () => {
  for (const [hv, defaults] of Object.entries(hvdata.HVC_DEFAULTS)) {
    for (const key of Object.keys(defaults)) {
      assert.ok(Object.hasOwn(hvdata.HVS_PARAMETER_TYPES, key), `${hv}/${key}`);
    }
  }
  for (const table of [
    hvdata.HVS_PARAMETER_TYPES,
    hvdata.BES_PARAMETER_COMPAT,
    hvdata.NICS_PARAMETER_TYPES,
    hvdata.INIC_PARAMS_TYPES,
    hvdata.IDISK_PARAMS_TYPES,
  ]) {
    for (const type of Object.values(table)) assert.ok(hvdata.ENFORCEABLE_TYPES.includes(type), type);
  }
});
