import { GuestosError } from "../errors.js";
import type { OsDefinition } from "../osdef/types.js";
import { coreEnv } from "./core.js";
import { instanceEnv, diskUri } from "./instance.js";
import { osParamsFor, type ScriptKind } from "./params.js";
import { isValidHostname } from "./hostname.js";
import type { InstanceSpec } from "./spec.js";

function envError(kind: ScriptKind, spec: InstanceSpec, reason: string): GuestosError {
  return new GuestosError(
    "ENV_INVALID",
    `Cannot build the ${kind} environment for "${spec.name}": ${reason}`,
  );
}

function diskIndex(kind: ScriptKind, spec: InstanceSpec, disk: number | undefined): number {
  if (disk === undefined) throw envError(kind, spec, "a disk index is required");
  if (!Number.isInteger(disk) || disk < 0 || disk >= spec.disks.length) {
    const count = spec.disks.length;
    throw envError(
      kind,
      spec,
      `disk index ${disk} is out of range (the instance has ${count} disk${count === 1 ? "" : "s"})`,
    );
  }
  return disk;
}

/**
 * The complete environment of one OS script, in Ganeti's insertion order: OSCoreEnv, OSEnvironment, then the
 * script's own variables. import/export start with LC_ALL=C (Ganeti's _BuildCmdEnvironment sets it before
 * the OS env); EXP_SIZE_FD is added by the runner at spawn time.
 */
export function scriptEnv(
  kind: ScriptKind,
  os: OsDefinition,
  spec: InstanceSpec,
  opts: { disk?: number; oldName?: string } = {},
): Record<string, string> {
  const osparams = osParamsFor(kind, spec);
  switch (kind) {
    case "verify":
      return coreEnv(spec.os, os, { osparams, debugLevel: 0 });
    case "create":
      return instanceEnv(spec, os, { osparams, debugLevel: spec.debugLevel });
    case "reinstall":
      return { ...instanceEnv(spec, os, { osparams, debugLevel: spec.debugLevel }), INSTANCE_REINSTALL: "1" };
    case "rename": {
      const oldName = opts.oldName;
      if (oldName === undefined || oldName === "")
        throw envError(kind, spec, "the old instance name is required");
      if (!isValidHostname(oldName))
        throw envError(kind, spec, `"${oldName}" is not a valid old instance name`);
      return {
        ...instanceEnv(spec, os, { osparams, debugLevel: spec.debugLevel }),
        OLD_INSTANCE_NAME: oldName,
      };
    }
    case "import": {
      const idx = diskIndex(kind, spec, opts.disk);
      const env: Record<string, string> = {
        LC_ALL: "C",
        ...instanceEnv(spec, os, { osparams, debugLevel: 0 }),
      };
      const path = env[`DISK_${idx}_PATH`];
      if (path !== undefined) {
        env.IMPORT_DEVICE = path;
        env.IMPORT_DISK_PATH = path;
      }
      const uri = env[`DISK_${idx}_URI`];
      if (uri !== undefined) env.IMPORT_DISK_URI = uri;
      env.IMPORT_INDEX = String(idx);
      return env;
    }
    case "export": {
      const idx = diskIndex(kind, spec, opts.disk);
      const env: Record<string, string> = {
        LC_ALL: "C",
        ...instanceEnv(spec, os, { osparams, debugLevel: 0 }),
      };
      const path = spec.disks[idx]!.path;
      if (path) {
        env.EXPORT_DEVICE = path;
        env.EXPORT_DISK_PATH = path;
      }
      const uri = diskUri(spec, idx);
      if (uri) env.EXPORT_DISK_URI = uri;
      env.EXPORT_INDEX = String(idx);
      return env;
    }
  }
}
