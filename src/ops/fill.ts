import { pyStrRepr } from "../env/pyrepr.js";
import type { InstanceSpec, NicSpec } from "../env/spec.js";
import { GuestosError } from "../errors.js";
import { getOsPrivateParams, getPrivateParams } from "../node/index.js";
import { BEC_DEFAULTS, HVC_DEFAULTS, NICC_DEFAULTS } from "../node/hvdata.js";
import type { NodeHandle } from "../node/node.js";
import type { FilledNicParams, InstanceRecord, InstanceView, ParamDict } from "../node/types.js";
import { splitNameVariant } from "../osdef/names.js";

/** Ganeti's FillDict: defaults, overridden by own values. */
function fill<T>(defaults: Record<string, T>, own: Record<string, T>): Record<string, T> {
  return { ...defaults, ...own };
}

/** Node-level hypervisor defaults (Ganeti's, then the config's), then os_hvp for the exact OS string. */
export function filledHvparams(
  node: NodeHandle,
  rec: Pick<InstanceRecord, "hypervisor" | "os" | "hvparams">,
): ParamDict {
  const { config } = node;
  const known = HVC_DEFAULTS as Readonly<Record<string, ParamDict>>;
  const base = fill(known[rec.hypervisor] ?? {}, config.hvparams[rec.hypervisor] ?? {});
  const perOs = config.osHvp[rec.os]?.[rec.hypervisor] ?? {};
  return fill(fill(base, perOs), rec.hvparams);
}

/** Ganeti's FillBE. */
export function filledBeparams(node: NodeHandle, own: ParamDict): ParamDict {
  return fill(fill(BEC_DEFAULTS, node.config.beparams), own);
}

/** Ganeti's SimpleFillOS: the base name's params, then the full name's, then the instance's own. */
export function filledOsparams(
  byOs: Record<string, Record<string, string>>,
  os: string,
  own: Record<string, string>,
): Record<string, string> {
  const { name } = splitNameVariant(os);
  return fill(fill(byOs[name] ?? {}, name === os ? {} : (byOs[os] ?? {})), own);
}

/** Ganeti's FillNIC over the node's nicparams. */
export function filledNic(
  node: NodeHandle,
  nic: { mode: string | null; link: string | null; vlan: string | null },
): FilledNicParams {
  const d = fill(NICC_DEFAULTS, node.config.nicparams);
  return {
    mode: nic.mode ?? String(d.mode ?? "bridged"),
    link: nic.link ?? String(d.link ?? ""),
    vlan: nic.vlan ?? String(d.vlan ?? ""),
  };
}

/** The node's private parameters for an OS, base name first, then the full name (as for public ones). */
function osPrivateDefaults(node: NodeHandle, os: string): Record<string, Record<string, string>> {
  const { name } = splitNameVariant(os);
  return {
    [name]: getOsPrivateParams(node.db, name),
    ...(name === os ? {} : { [os]: getOsPrivateParams(node.db, os) }),
  };
}

/** An instance as listings show it: the record, the node's name and the filled parameters. */
export function instanceView(node: NodeHandle, rec: InstanceRecord): InstanceView {
  return {
    ...rec,
    primaryNode: node.identity.name,
    primaryNodeUuid: node.identity.uuid,
    filled: {
      hvparams: filledHvparams(node, rec),
      beparams: filledBeparams(node, rec.beparams),
      osparams: filledOsparams(node.config.osparams, rec.os, rec.osparams),
      nics: rec.nics.map((n) => filledNic(node, n)),
    },
  };
}

/**
 * Ganeti's Cluster.SimpleFillOS with private and secret parameters: public ones filled from the node's
 * defaults, then private ones filled from the node's private defaults, then the secret ones. It is what
 * Ganeti's master validates on add and reinstall (verify gets exactly this dict, in this order), and what
 * LUInstanceReinstall sends the node as the osparams override.
 */
export function fullOsparams(
  node: NodeHandle,
  os: string,
  params: { public: Record<string, string>; private: Record<string, string>; secret: Record<string, string> },
): Record<string, string> {
  const pub = filledOsparams(node.config.osparams, os, params.public);
  const priv = filledOsparams(osPrivateDefaults(node, os), os, params.private);
  checkDistinct(pub, priv, params.secret);
  return { ...pub, ...priv, ...params.secret };
}

/** SimpleFillOS's refusal of a key set at two visibilities, with its exact (oddly indented) message. */
function checkDistinct(...dicts: Record<string, string>[]): void {
  const seen = new Map<string, number>();
  for (const d of dicts) for (const k of Object.keys(d)) seen.set(k, (seen.get(k) ?? 0) + 1);
  const dup = new Set([...seen].filter(([, n]) => n > 1).map(([k]) => k));
  if (dup.size === 0) return;
  const fmt = (d: Record<string, string>): string => {
    const keys = Object.keys(d)
      .filter((k) => dup.has(k))
      .map(pyStrRepr)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return keys.length > 0 ? keys.join(", ") : "(none)";
  };
  const [pub, priv, secret] = dicts as [
    Record<string, string>,
    Record<string, string>,
    Record<string, string>,
  ];
  throw new GuestosError(
    "OS_PARAMS_REPEATED",
    `Cannot assign multiple values to OS parameters.

      Conflicting OS parameters that would have been set by this operation:
      - at public visibility:  ${fmt(pub)}
      - at private visibility: ${fmt(priv)}
      - at secret visibility:  ${fmt(secret)}
      `,
  );
}

/** Everything private about an instance that its scripts get: stored private values, and this job's secrets. */
export interface ScriptSecrets {
  /** The instance's own private values (default: the stored ones); the node's private defaults are not added. */
  privateParams?: Record<string, string>;
  secretParams?: Record<string, string>;
  /**
   * The RPC's osparams override, applied over the filled public parameters as Ganeti's _InstDict does
   * (`idict["osparams"].update(osp)`): on reinstall, the whole fullOsparams() dict.
   */
  osparamsOverride?: Record<string, string>;
  debugLevel?: number;
}

/**
 * The engine's instance spec for a stored instance: what Ganeti's master sends the node (filled
 * hv/be/os parameters, the node's uuid as primary node), from which src/env builds each script's env.
 * Like Ganeti's _InstDict, only public parameters are filled from the node's defaults: the instance's
 * private values go as they are (the node's private defaults reach only verify and, through the
 * override, reinstall).
 */
export function instanceSpecOf(
  node: NodeHandle,
  rec: InstanceRecord,
  secrets: ScriptSecrets = {},
): InstanceSpec {
  const view = instanceView(node, rec);
  const priv = { ...(secrets.privateParams ?? getPrivateParams(node.db, rec.uuid)) };
  return {
    name: rec.name,
    os: rec.os,
    hypervisor: rec.hypervisor,
    uuid: rec.uuid,
    ctime: rec.ctime,
    mtime: rec.mtime,
    primaryNode: node.identity.uuid,
    secondaryNodes: [],
    hvparams: view.filled.hvparams,
    beparams: view.filled.beparams,
    osparams: { ...view.filled.osparams, ...secrets.osparamsOverride },
    osparamsPrivate: priv,
    osparamsSecret: { ...secrets.secretParams },
    debugLevel: secrets.debugLevel ?? 0,
    disks: rec.disks.map((d) => ({
      path: d.path,
      uri: null,
      access: "kernel",
      mode: d.mode,
      uuid: d.uuid,
      name: d.name,
      size: d.size,
      template: rec.diskTemplate === "blockdev" ? "blockdev" : "file",
      fileDriver: "loop",
    })),
    nics: rec.nics.map((n, i): NicSpec => ({
      mac: n.mac,
      ip: n.ip,
      mode: view.filled.nics[i]!.mode as NicSpec["mode"],
      link: view.filled.nics[i]!.link,
      uuid: n.uuid,
      name: n.name,
      network: null,
    })),
  };
}
