/*
 * `guestos instance info`, laid out as gnt-instance info lays it out (ShowInstanceConfig,
 * _FormatInstanceInfo, _FormatBlockDevInfo, FormatParamsDictInfo, PrintGenericInfo).
 */
import type { DiskRecord, InstanceView, NicRecord, FilledNicParams } from "../node/types.js";
import { dict, genericInfoLines, pairs, type Info, type InfoEntry } from "./genericinfo.js";
import { instanceHvparams } from "./instfields.js";
import { pyText } from "./query.js";
import { formatTime, type TimeOpts } from "./timefmt.js";
import { formatUnit } from "../node/units.js";

/** A disk's device numbers as Ganeti's blockdev_find reports them; null numbers print as `N/A`. */
export interface DeviceStatus {
  major: number | null;
  minor: number | null;
}

/** Options of `instance info`. */
export interface InstanceInfoOpts extends TimeOpts {
  /** -s: configuration only (no actual state, no `on primary:` lines). */
  static?: boolean | undefined;
  /** The node group shown under `Nodes:`; guestos has none, so the line is left out unless given. */
  group?: { name: string; uuid: string } | undefined;
  /**
   * Device status per disk uuid: a missing entry prints `(N/A:N/A)` (a file's status), null leaves the
   * `on primary:` line out (Ganeti's answer for a device it cannot find).
   */
  devices?: ReadonlyMap<string, DeviceStatus | null> | undefined;
}

/** Ganeti's FormatParamsDictInfo: own values as they are, inherited ones as `default (<value>)`. */
function paramsInfo(own: Readonly<Record<string, unknown>>, actual: Readonly<Record<string, unknown>>): Info {
  const out: Record<string, Info> = {};
  for (const [key, value] of Object.entries(actual)) {
    if (
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value) &&
      Object.keys(value).length > 0
    ) {
      const sub = own[key];
      const subOwn = sub !== null && typeof sub === "object" ? (sub as Record<string, unknown>) : {};
      out[key] = paramsInfo(subOwn, value as Record<string, unknown>);
    } else {
      out[key] = Object.hasOwn(own, key) ? pyText(own[key]) : `default (${pyText(value)})`;
    }
  }
  return dict(out);
}

/** OS parameters: public ones as Ganeti shows them, private ones by name only (never the value). */
function osparamsInfo(view: InstanceView): Info {
  const priv = new Set(view.osparamsPrivateKeys);
  const pub = (d: Record<string, string>) =>
    Object.fromEntries(Object.entries(d).filter(([k]) => !priv.has(k)));
  const info = paramsInfo(pub(view.osparams), pub(view.filled.osparams)) as ReturnType<typeof dict>;
  const entries: Record<string, Info> = { ...info.entries };
  for (const key of priv) entries[key] = "<redacted>";
  return dict(entries);
}

function nicInfo(nic: NicRecord, filled: FilledNicParams | undefined): Info {
  return pairs([
    [`nic/${nic.index}`, ""],
    ["MAC", nic.mac],
    ["IP", pyText(nic.ip)],
    ["mode", pyText(filled?.mode ?? nic.mode)],
    ["link", pyText(filled?.link ?? nic.link)],
    ["vlan", pyText(filled?.vlan ?? nic.vlan)],
    ["network", pyText(nic.network)],
    ["UUID", nic.uuid],
    ["name", pyText(nic.name)],
  ]);
}

/** Ganeti's logical_id of the disk: (file driver, path) for files, ("manual", path) for block devices. */
function logicalId(view: InstanceView, disk: DiskRecord): string {
  return pyText([view.diskTemplate === "blockdev" ? "manual" : "loop", disk.path]);
}

function diskInfo(view: InstanceView, disk: DiskRecord, opts: InstanceInfoOpts): Info {
  const entries: InfoEntry[] = [
    [`disk/${disk.index}`, `${view.diskTemplate}, size ${formatUnit(disk.size, "h")}`],
    ["access mode", disk.mode],
    ["logical_id", logicalId(view, disk)],
  ];
  if (!opts.static) {
    const status = opts.devices?.has(disk.uuid) ? opts.devices.get(disk.uuid)! : { major: null, minor: null };
    if (status) {
      const num = (n: number | null) => (n === null ? "N/A" : String(n));
      entries.push(["on primary", `${disk.path} (${num(status.major)}:${num(status.minor)})`]);
    }
  }
  entries.push(["name", pyText(disk.name)], ["UUID", disk.uuid]);
  return pairs(entries);
}

/** Ganeti's run_state when the node answers but the instance is not running. */
const RUN_STATE = { up: "down", down: "down", offline: "offline" } as const;

function instanceInfo(view: InstanceView, opts: InstanceInfoOpts): Info {
  let state = `configured to be ${view.adminState}`;
  if (!opts.static) state += `, actual state is ${RUN_STATE[view.adminState]}`;
  const primary: InfoEntry[] = [["primary", view.primaryNode]];
  if (opts.group) primary.push(["group", `${opts.group.name} (UUID ${opts.group.uuid})`]);
  const beActual = { ...view.filled.beparams };
  // Ganeti still shows the deprecated "memory", always as maxmem's value.
  if (Object.hasOwn(beActual, "maxmem")) beActual.memory = beActual.maxmem!;
  const entries: InfoEntry[] = [
    ["Instance name", view.name],
    ["UUID", view.uuid],
    ["Serial number", String(view.serialNo)],
    ["Creation time", formatTime(view.ctime, opts)],
    ["Modification time", formatTime(view.mtime, opts)],
    ["State", state],
    ["Nodes", [pairs(primary), pairs([["secondaries", ""]])]],
    ["Operating system", view.os],
    ["Install state", view.installState],
  ];
  if (view.lastError) entries.push(["Last error", view.lastError]);
  const filledNics = view.filled.nics;
  const nics = view.nics
    .map((nic, i) => ({ nic, filled: filledNics[i] }))
    .sort((a, b) => a.nic.index - b.nic.index);
  entries.push(
    ["Operating system parameters", osparamsInfo(view)],
    ["Allocated network port", "None"],
    ["Hypervisor", view.hypervisor],
    ["Hypervisor parameters", paramsInfo(view.hvparams, instanceHvparams(view))],
    ["Back-end parameters", paramsInfo(view.beparams, beActual)],
    ["NICs", nics.map((n) => nicInfo(n.nic, n.filled))],
    ["Disk template", view.diskTemplate],
    ["Disks", [...view.disks].sort((a, b) => a.index - b.index).map((d) => diskInfo(view, d, opts))],
  );
  return pairs(entries);
}

/**
 * The lines of `instance info` for the views, in order. No views prints `No instances.` (the caller
 * exits 1, as gnt-instance info does).
 */
export function renderInstanceInfo(views: readonly InstanceView[], opts: InstanceInfoOpts = {}): string[] {
  if (views.length === 0) return ["No instances."];
  return genericInfoLines(views.map((v) => instanceInfo(v, opts)));
}
