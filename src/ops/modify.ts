import { GuestosError } from "../errors.js";
import { getPrivateParams, updateInstance } from "../node/index.js";
import type { NodeHandle } from "../node/node.js";
import type { ParamDict } from "../node/types.js";
import { pyStr } from "../env/pyrepr.js";
import { runJob } from "./job.js";
import { lockedInstance, resolveInstanceName } from "./lookup.js";
import { maskParams, REDACTED } from "./mask.js";
import { checkOsForInstance } from "./osvalidate.js";
import { updateOsParams } from "./params.js";
import type { OpOptions, OpResult } from "./types.js";

/** `instance modify`: what may change. Parameter values `default` (or null) reset to the node's default. */
export interface ModifyRequest {
  name: string;
  os?: string | null;
  osparams?: Record<string, string | null>;
  osparamsPrivate?: Record<string, string | null>;
  hvparams?: ParamDict;
  beparams?: ParamDict;
  forceVariant?: boolean;
  /** Skip the OS checks (Ganeti's -f on modify). */
  force?: boolean;
}

/** Ganeti's modify result: (key, new value) pairs, printed as ` - key -> value`. */
export type Changes = [string, string][];

function isDefault(v: unknown): boolean {
  return v === null || (typeof v === "string" && v.toLowerCase() === "default");
}

function updateDict(
  current: ParamDict,
  changes: ParamDict | undefined,
  prefix: string,
  out: Changes,
): ParamDict {
  const next = { ...current };
  for (const [k, v] of Object.entries(changes ?? {})) {
    if (isDefault(v)) {
      delete next[k];
      out.push([`${prefix}/${k}`, "default"]);
    } else {
      next[k] = v;
      out.push([`${prefix}/${k}`, pyStr(v)]);
    }
  }
  return next;
}

/** True when the request changes anything at all. */
export function hasModifications(req: ModifyRequest): boolean {
  return [req.os, req.osparams, req.osparamsPrivate, req.hvparams, req.beparams].some(
    (v) => v !== undefined && v !== null,
  );
}

/** Change an instance's OS, OS/hypervisor/backend parameters (Ganeti's LUInstanceSetParams, for those). */
export async function modifyInstance(
  node: NodeHandle,
  req: ModifyRequest,
  opts: OpOptions = {},
): Promise<OpResult<{ name: string; changes: Changes }>> {
  if (!hasModifications(req))
    throw new GuestosError("NOTHING_TO_DO", "Please give at least one of the parameters.");
  const name = resolveInstanceName(node, req.name);
  const input = {
    instance_name: name,
    os_name: req.os ?? null,
    osparams: req.osparams ?? {},
    osparams_private: maskParams(req.osparamsPrivate as Record<string, string> | undefined),
    hvparams: req.hvparams ?? {},
    beparams: req.beparams ?? {},
    force_variant: req.forceVariant ?? false,
    force: req.force ?? false,
  };
  return runJob(
    node,
    { op: "INSTANCE_SET_PARAMS", target: name, input, locks: [`instance:${name}`] },
    opts,
    async () => {
      const rec = lockedInstance(node, name);
      const changes: Changes = [];
      const osName = req.os ?? rec.os;
      const osparams = updateOsParams(rec.osparams, req.osparams);
      const priv = updateOsParams(getPrivateParams(node.db, rec.uuid), req.osparamsPrivate);
      for (const [k, v] of Object.entries(req.osparams ?? {}))
        changes.push([`os/${k}`, isDefault(v) ? "default" : String(v)]);
      for (const k of Object.keys(req.osparamsPrivate ?? {})) changes.push([`os_private/${k}`, REDACTED]);
      if (!req.force && (req.os || req.osparams || req.osparamsPrivate)) {
        await checkOsForInstance(node, osName, {
          osparams: { ...osparams, ...priv },
          forceVariant: req.forceVariant ?? false,
          validateParams: Boolean(req.osparams || req.osparamsPrivate),
        });
      }
      const hvparams = updateDict(rec.hvparams, req.hvparams, "hv", changes);
      const beparams = updateDict(rec.beparams, req.beparams, "be", changes);
      updateInstance(
        node.db,
        rec.uuid,
        { os: osName, osparams, hvparams, beparams },
        req.osparamsPrivate ? { privateParams: priv } : {},
      );
      return { name, changes };
    },
  );
}
