import { GuestosError } from "../errors.js";
import type { OsDefinition } from "../osdef/types.js";
import { coreEnv } from "./core.js";
import { pyFloat, pyStr } from "./pyrepr.js";
import { BLOCK_TEMPLATES, FILE_TEMPLATES } from "./templates.js";
import type { DiskSpec, InstanceSpec, NetworkSpec } from "./spec.js";

/** The userspace URI Ganeti computes for a disk (_CalculateDeviceURI): only with access=userspace. */
export function diskUri(spec: InstanceSpec, index: number): string | null {
  const disk = spec.disks[index]!;
  if (disk.access !== "userspace") return null;
  if (!disk.uri) {
    // Ganeti's GetUserspaceAccessUri raises here and the whole RPC fails.
    throw new GuestosError(
      "SPEC_INVALID",
      `Cannot read instance spec: disks[${index}].uri: userspace access needs a uri`,
    );
  }
  return disk.uri;
}

function diskVars(env: Record<string, string>, spec: InstanceSpec, disk: DiskSpec, idx: number): void {
  const uri = diskUri(spec, idx);
  env[`DISK_${idx}_ACCESS`] = disk.mode;
  env[`DISK_${idx}_UUID`] = disk.uuid;
  env[`DISK_${idx}_SIZE`] = String(disk.size);
  if (disk.path) env[`DISK_${idx}_PATH`] = disk.path;
  if (uri) env[`DISK_${idx}_URI`] = uri;
  if (disk.name) env[`DISK_${idx}_NAME`] = disk.name;
  if (Object.hasOwn(spec.hvparams, "disk_type"))
    env[`DISK_${idx}_FRONTEND_TYPE`] = pyStr(spec.hvparams.disk_type!);
  if (BLOCK_TEMPLATES.has(disk.template)) env[`DISK_${idx}_BACKEND_TYPE`] = "block";
  else if (FILE_TEMPLATES.has(disk.template)) env[`DISK_${idx}_BACKEND_TYPE`] = `file:${disk.fileDriver}`;
}

/** objects.Network.HooksDict with prefix `NIC_<n>_`. */
function networkVars(env: Record<string, string>, prefix: string, net: NetworkSpec): void {
  env[`${prefix}NETWORK_NAME`] = net.name;
  env[`${prefix}NETWORK_UUID`] = net.uuid;
  // Ganeti joins a Python set (order varies with the hash seed); guestos keeps the spec's order, minus repeats.
  env[`${prefix}NETWORK_TAGS`] = [...new Set(net.tags)].join(" ");
  if (net.subnet) env[`${prefix}NETWORK_SUBNET`] = net.subnet;
  if (net.gateway) env[`${prefix}NETWORK_GATEWAY`] = net.gateway;
  if (net.subnet6) env[`${prefix}NETWORK_SUBNET6`] = net.subnet6;
  if (net.gateway6) env[`${prefix}NETWORK_GATEWAY6`] = net.gateway6;
  if (net.macPrefix) env[`${prefix}NETWORK_MAC_PREFIX`] = net.macPrefix;
}

/** Ganeti's OSEnvironment: core env, INSTANCE_*, HYPERVISOR, DISK_*, NIC_*, INSTANCE_BE_*, INSTANCE_HV_*. */
export function instanceEnv(
  spec: InstanceSpec,
  os: OsDefinition,
  opts: { osparams: Record<string, string>; debugLevel: number },
): Record<string, string> {
  const env = coreEnv(spec.os, os, opts);
  env.INSTANCE_NAME = spec.name;
  env.INSTANCE_OS = spec.os;
  env.INSTANCE_UUID = spec.uuid;
  env.INSTANCE_CTIME = pyFloat(spec.ctime);
  env.INSTANCE_MTIME = pyFloat(spec.mtime);
  env.INSTANCE_PRIMARY_NODE = spec.primaryNode;
  env.HYPERVISOR = spec.hypervisor;
  env.DISK_COUNT = String(spec.disks.length);
  env.NIC_COUNT = String(spec.nics.length);
  env.INSTANCE_SECONDARY_NODES = spec.secondaryNodes.join(" ");
  spec.disks.forEach((disk, idx) => diskVars(env, spec, disk, idx));
  spec.nics.forEach((nic, idx) => {
    env[`NIC_${idx}_MAC`] = nic.mac;
    env[`NIC_${idx}_UUID`] = nic.uuid;
    if (nic.name) env[`NIC_${idx}_NAME`] = nic.name;
    if (nic.ip) env[`NIC_${idx}_IP`] = nic.ip;
    env[`NIC_${idx}_MODE`] = nic.mode;
    if (nic.mode === "bridged") env[`NIC_${idx}_BRIDGE`] = nic.link;
    if (nic.link) env[`NIC_${idx}_LINK`] = nic.link;
    if (nic.network) networkVars(env, `NIC_${idx}_`, nic.network);
    if (Object.hasOwn(spec.hvparams, "nic_type"))
      env[`NIC_${idx}_FRONTEND_TYPE`] = pyStr(spec.hvparams.nic_type!);
  });
  for (const [key, value] of Object.entries(spec.beparams)) env[`INSTANCE_BE_${key}`] = pyStr(value);
  for (const [key, value] of Object.entries(spec.hvparams)) env[`INSTANCE_HV_${key}`] = pyStr(value);
  return env;
}
