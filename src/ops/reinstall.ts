import { GuestosError } from "../errors.js";
import { getPrivateParams, updateInstance } from "../node/index.js";
import type { NodeHandle } from "../node/node.js";
import { fullOsparams, instanceSpecOf } from "./fill.js";
import { runJob } from "./job.js";
import { lockedInstance, requireDisks, requireDown, resolveInstanceName } from "./lookup.js";
import { maskParams } from "./mask.js";
import { checkOsForInstance } from "./osvalidate.js";
import { updateOsParams } from "./params.js";
import { recordInstallFailure, runInstanceScript } from "./script.js";
import type { OpOptions, OpResult } from "./types.js";

/** `instance reinstall`: optionally a new OS and parameter changes; stored parameters are kept unless changed. */
export interface ReinstallRequest {
  name: string;
  os?: string | null;
  osparams?: Record<string, string | null>;
  osparamsPrivate?: Record<string, string | null>;
  osparamsSecret?: Record<string, string>;
  forceVariant?: boolean;
}

/**
 * Run the OS create script again with INSTANCE_REINSTALL=1 (Ganeti's LUInstanceReinstall). Unlike Ganeti,
 * `-O` changes the stored parameters instead of replacing them all (design.md's decisions table).
 */
export async function reinstallInstance(
  node: NodeHandle,
  req: ReinstallRequest,
  opts: OpOptions = {},
): Promise<OpResult<{ name: string; os: string }>> {
  const name = resolveInstanceName(node, req.name);
  const input = {
    instance_name: name,
    os_type: req.os ?? null,
    osparams: req.osparams ?? {},
    osparams_private: maskParams(req.osparamsPrivate as Record<string, string> | undefined),
    osparams_secret: maskParams(req.osparamsSecret),
    force_variant: req.forceVariant ?? false,
  };
  return runJob(
    node,
    { op: "INSTANCE_REINSTALL", target: name, input, locks: [`instance:${name}`] },
    opts,
    async (ctx) => {
      const rec = lockedInstance(node, name);
      requireDown(rec, "reinstall");
      if (rec.disks.length === 0) throw new GuestosError("NO_DISKS", `Instance '${name}' has no disks`);
      const osName = req.os ?? rec.os;
      const osparams = updateOsParams(rec.osparams, req.osparams);
      const priv = updateOsParams(getPrivateParams(node.db, rec.uuid), req.osparamsPrivate);
      // LUInstanceReinstall._MergeValidateOsParams: SimpleFillOS of all three, always validated (Ganeti 3.0),
      // and sent to the node as the osparams override of the create script.
      const full = fullOsparams(node, osName, {
        public: osparams,
        private: priv,
        secret: req.osparamsSecret ?? {},
      });
      const os = await checkOsForInstance(node, osName, {
        osparams: full,
        forceVariant: req.forceVariant ?? false,
      });
      if (!os.scripts.create) {
        throw new GuestosError(
          "OS_UNTRUSTED",
          `Cannot reinstall instance ${name}: OS "${os.name}" has only create_untrusted`,
        );
      }
      await requireDisks(rec, "reinstall");
      if (osName !== rec.os) ctx.log("message", `Changing OS scripts to '${osName}'...`);
      updateInstance(
        node.db,
        rec.uuid,
        { os: osName, osparams, installState: "pending", lastError: null },
        { privateParams: priv },
      );
      ctx.log("info", "Running instance OS create scripts...");
      const stored = lockedInstance(node, name);
      const spec = instanceSpecOf(node, stored, {
        privateParams: priv,
        osparamsOverride: full,
        debugLevel: opts.debugLevel ?? 0,
      });
      try {
        await runInstanceScript(ctx, "reinstall", os, spec, { timeout: opts.timeout ?? null });
      } catch (err) {
        const e = err as GuestosError;
        const message = `Could not install OS for instance '${name}' on node '${node.identity.name}': ${e.message}`;
        recordInstallFailure(node, rec.uuid, message);
        throw new GuestosError(e.code ?? "SCRIPT_FAILED", message, {
          ...(e.hint ? { hint: e.hint } : {}),
          cause: err,
        });
      }
      updateInstance(node.db, rec.uuid, { installState: "installed", lastError: null });
      return { name, os: osName };
    },
  );
}
