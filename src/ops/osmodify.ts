import { GuestosError, isGuestosError } from "../errors.js";
import { readConfig, setOsPrivateParams, writeConfig, type NodeConfig } from "../node/index.js";
import type { NodeHandle } from "../node/node.js";
import type { ParamDict } from "../node/types.js";
import { checkParameters, findOs, validateOs } from "../osdef/index.js";
import { runJob } from "./job.js";
import { maskParams } from "./mask.js";
import { nodeSearchPath } from "./osvalidate.js";
import { updateOsParams } from "./params.js";
import type { OsDefinition } from "../osdef/types.js";
import type { OpOptions, OpResult } from "./types.js";

/** `os modify NAME`: the node's per-OS settings (Ganeti's gnt-os modify → OpClusterSetParams). */
export interface OsModifyRequest {
  name: string;
  hidden?: boolean;
  blacklisted?: boolean;
  osparams?: Record<string, string | null>;
  osparamsPrivate?: Record<string, string | null>;
  /** Per hypervisor; null values remove. */
  hvparams?: Record<string, ParamDict>;
}

function toggle(list: string[], name: string, on: boolean | undefined): string[] {
  if (on === undefined) return list;
  const rest = list.filter((n) => n !== name);
  return on ? [...rest, name] : rest;
}

/**
 * Change the per-OS settings. The OS need not exist (as in Ganeti); when it does, changed parameters are
 * checked against it (declared names, then verify), as Ganeti does on the master with required=False.
 */
export async function modifyOs(
  node: NodeHandle,
  req: OsModifyRequest,
  opts: OpOptions = {},
): Promise<OpResult<{ name: string }>> {
  const any = [req.hidden, req.blacklisted, req.osparams, req.osparamsPrivate, req.hvparams].some(
    (v) => v !== undefined,
  );
  if (!any) {
    throw new GuestosError(
      "NOTHING_TO_DO",
      "At least one of OS parameters or hypervisor parameters must be passed",
    );
  }
  const input = {
    os_name: req.name,
    hidden: req.hidden ?? null,
    blacklisted: req.blacklisted ?? null,
    osparams: req.osparams ?? {},
    osparams_private: maskParams(req.osparamsPrivate as Record<string, string> | undefined),
    os_hvp: req.hvparams ?? {},
  };
  return runJob(
    node,
    { op: "CLUSTER_SET_PARAMS", target: req.name, input, locks: ["node-config"] },
    opts,
    async () => {
      // Re-read under the lock: another process may have changed the file since this one opened the node.
      const config: NodeConfig = readConfig(node.home);
      const osparams = updateOsParams(config.osparams[req.name] ?? {}, req.osparams);
      if (req.osparams || req.osparamsPrivate)
        await checkIfPresent(node, req.name, osparams, req.osparamsPrivate);
      const next: NodeConfig = {
        ...config,
        hiddenOs: toggle(config.hiddenOs, req.name, req.hidden),
        blacklistedOs: toggle(config.blacklistedOs, req.name, req.blacklisted),
        osparams: { ...config.osparams, [req.name]: osparams },
        osHvp: { ...config.osHvp },
      };
      if (Object.keys(osparams).length === 0) delete next.osparams[req.name];
      for (const [hv, params] of Object.entries(req.hvparams ?? {})) {
        const merged: ParamDict = { ...next.osHvp[req.name]?.[hv] };
        for (const [k, v] of Object.entries(params)) {
          if (v === null) delete merged[k];
          else merged[k] = v;
        }
        next.osHvp[req.name] = { ...next.osHvp[req.name], [hv]: merged };
      }
      writeConfig(node.home, next);
      if (req.osparamsPrivate) setOsPrivateParams(node.db, req.name, req.osparamsPrivate);
      node.config = next;
      return { name: req.name };
    },
  );
}

async function checkIfPresent(
  node: NodeHandle,
  name: string,
  osparams: Record<string, string>,
  priv: Record<string, string | null> | undefined,
): Promise<void> {
  const searchPath = nodeSearchPath(node);
  let os: OsDefinition;
  try {
    os = await findOs(name, searchPath);
  } catch (err) {
    if (isGuestosError(err, "OS_NOT_FOUND")) return;
    throw err;
  }
  const all = {
    ...osparams,
    ...Object.fromEntries(Object.entries(priv ?? {}).filter(([, v]) => v !== null)),
  } as Record<string, string>;
  checkParameters(os, Object.keys(all));
  await validateOs(name, { searchPath, osparams: all, forceVariant: true });
}
