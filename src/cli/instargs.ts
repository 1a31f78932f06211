// The instance options of `guestos instance add/modify`, parsed and checked as gnt-instance does: first the
// client's checks (lib/cli.py GenericInstanceCreate, ParseNicOption; client/gnt_instance.py), then the ones the
// job makes (opcode validation, LUInstanceCreate.CheckArguments, ComputeNics, ComputeDisks), in that order.
// Messages are Ganeti's; guestos's own refusals (no LVM, no name resolution) read `Cannot ...`.
import { isIPv4, isIPv6 } from "node:net";
import { GuestosError } from "../errors.js";
import { pyStr } from "../env/pyrepr.js";
import { pyDecimalValue, pyInt } from "../osdef/pyint.js";
import {
  BES_PARAMETER_COMPAT,
  BES_PARAMETER_TYPES,
  HVC_DEFAULTS,
  HVC_GLOBALS,
  HVS_PARAMETER_TYPES,
  HYPER_TYPES,
  IDISK_PARAMS_TYPES,
  INIC_PARAMS_TYPES,
  NICC_DEFAULTS,
  type Hypervisor,
} from "../node/hvdata.js";
import { enforceTypes, normalizeDefaults, upgradeBeParams, VALUE_DEFAULT } from "../node/params.js";
import type { NodeDiskTemplate, ParamDict, ParamValue } from "../node/types.js";
import { parseKeyVal, parseStringKeyVal, type KeyValValue } from "./keyval.js";
import { isUnitValueError, parseUnit } from "../node/units.js";
import type { DiskRequest, NicRequest } from "../ops/types.js";

/** constants.MAX_DISKS and MAX_NICS. */
export const MAX_DISKS = 16;
export const MAX_NICS = 8;
/** objects.TaggableObject limits. */
export const MAX_TAG_LEN = 128;
export const MAX_TAGS_PER_OBJ = 4096;

// The request shapes belong to ops, which carries them out; the CLI only fills them in.
export type { DiskRequest, NicRequest } from "../ops/types.js";

type IdentDict = Record<string, KeyValValue> | false | null;

// Code points for which Python's str.isdigit() is true but isdecimal() is not (superscripts, circled digits...),
// from Python 3.11: they make "-²" an ident rather than a removal, and are digits to the VLAN check.
// prettier-ignore
const PY_DIGIT_ONLY: readonly [number, number][] = [
  [0xb2, 0xb3], [0xb9, 0xb9], [0x1369, 0x1371], [0x19da, 0x19da], [0x2070, 0x2070], [0x2074, 0x2079],
  [0x2080, 0x2089], [0x2460, 0x2468], [0x2474, 0x247c], [0x2488, 0x2490], [0x24ea, 0x24ea], [0x24f5, 0x24fd],
  [0x24ff, 0x24ff], [0x2776, 0x277e], [0x2780, 0x2788], [0x278a, 0x2792], [0x10a40, 0x10a43],
  [0x10e60, 0x10e68], [0x11052, 0x1105a], [0x1f100, 0x1f10a],
];

/** Python's str.isdigit(): non-empty and every character a digit. */
function pyIsDigit(s: string): boolean {
  if (s === "") return false;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (pyDecimalValue(cp) < 0 && !PY_DIGIT_ONLY.some(([lo, hi]) => cp >= lo && cp <= hi)) return false;
  }
  return true;
}

/** Ganeti's _SplitIdentKeyVal with prefixes: `IDENT[:k=v,...]`, `no_IDENT` (false), `-IDENT` (null). */
export function splitIdentKeyVal(option: string, value: string): [string, IdentDict] {
  const colon = value.indexOf(":");
  const [ident, rest] = colon < 0 ? [value, ""] : [value.slice(0, colon), value.slice(colon + 1)];
  const second = [...ident][1];
  const removal = ident.startsWith("no_")
    ? 3
    : ident.startsWith("-") && (second === undefined || !pyIsDigit(second))
      ? 1
      : 0;
  if (removal > 0) {
    if (rest) {
      throw new GuestosError("BAD_OPTION", `Cannot pass options when removing parameter groups: ${value}`);
    }
    return [ident.slice(removal), removal === 3 ? false : null];
  }
  return [ident, parseKeyVal(option, rest, { prefixes: true })];
}

const has = (d: object, key: string): boolean => Object.hasOwn(d, key);

/** The indices of `--disk`/`--net` values as Python's int() reads them; `kind` is "disk" or "NIC". */
function parseIndices(entries: [string, IdentDict][], kind: "disk" | "NIC", max: number): number[] {
  const indices = entries.map(([ident]) => {
    const parsed = pyInt(ident);
    if (!parsed.ok) {
      throw new GuestosError(`BAD_${kind.toUpperCase()}`, `Invalid ${kind} index passed: ${parsed.message}`);
    }
    return parsed.value;
  });
  for (const [i, idx] of indices.entries()) {
    // Ganeti crashes on a negative index (or silently replaces the last device): refuse it.
    if (idx < 0n) {
      throw new GuestosError(
        `BAD_${kind.toUpperCase()}`,
        `Cannot use ${kind} index "${entries[i]![0]}": it must not be negative`,
      );
    }
    // Ganeti sizes the list by the highest index; so does guestos, within the limit of devices.
    if (idx >= BigInt(max)) {
      throw new GuestosError(
        `BAD_${kind.toUpperCase()}`,
        kind === "disk"
          ? `Instance has too many disks (${max}), cannot add more`
          : `Instance has too many network interfaces (${max}), cannot add more`,
      );
    }
  }
  return indices.map(Number);
}

/** utils.ValidateDeviceNames for new devices: no purely numeric names, no name twice ("none" is no name). */
function validateDeviceNames(kind: "disk" | "NIC", devices: Record<string, ParamValue>[]): void {
  const seen = new Set<string>();
  for (const device of devices) {
    const name = device.name;
    if (typeof name !== "string") continue;
    if (pyInt(name).ok) {
      throw new GuestosError(
        `BAD_${kind.toUpperCase()}`,
        `Invalid name '${name}'. Purely numeric ${kind} names are not allowed`,
      );
    }
    if (name.toLowerCase() !== "none") {
      if (seen.has(name))
        throw new GuestosError(`BAD_${kind.toUpperCase()}`, `${kind} name '${name}' already used`);
      seen.add(name);
    }
  }
}

const DISK_KEYS_WITHOUT_LVM = new Set(["vg", "metavg", "spindles", "access", "provider"]);

/**
 * The `--disk N:key=val,...` values (or `-s SIZE`) of `instance add`, checked as Ganeti does. A duplicate
 * index replaces the earlier disk (after both were checked); a skipped index is a disk without a size.
 * `template` undefined means the node's default, `file`.
 */
export function parseDiskOptions(
  values: readonly string[],
  opts: { template: NodeDiskTemplate | undefined; sizeOption?: string; option?: string },
): DiskRequest[] {
  const template = opts.template ?? "file";
  const option = opts.option ?? "--disk";
  let sdSize: number | undefined;
  if (opts.sizeOption !== undefined) {
    try {
      sdSize = parseUnit(opts.sizeOption);
    } catch (err) {
      throw new GuestosError("BAD_UNIT", `option -s: ${(err as Error).message}`, { cause: err });
    }
  }
  const entries = values.map((v) => splitIdentKeyVal(option, v));

  if (template === "diskless") {
    if (entries.length > 0 || sdSize !== undefined) {
      throw new GuestosError("BAD_DISK", "Diskless instance but disk information passed");
    }
    return [];
  }
  // `not opts.sd_size`: -s 0 counts as no disk information.
  if (entries.length === 0 && !sdSize) throw new GuestosError("BAD_DISK", "No disk information specified");
  if (entries.length > 0 && sdSize !== undefined) {
    throw new GuestosError("BAD_DISK", "Please use either the '--disk' or '-s' option");
  }
  if (sdSize !== undefined) entries.push(["0", { size: String(sdSize) }]);

  const indices = parseIndices(entries, "disk", MAX_DISKS);
  const disks: Record<string, ParamValue>[] = Array.from({ length: Math.max(...indices) + 1 }, () => ({}));
  entries.forEach(([, dict], i) => {
    const idx = indices[i]!;
    if (dict === false || dict === null) {
      throw new GuestosError("BAD_DISK", `Invalid disk/${idx} value: expected dict, got ${pyStr(dict)}`);
    }
    const disk: Record<string, ParamValue> = { ...dict };
    if (has(disk, "size")) {
      if (has(disk, "adopt")) {
        throw new GuestosError("BAD_DISK", `Only one of 'size' and 'adopt' allowed (disk ${idx})`);
      }
      try {
        disk.size = parseUnit(pyStr(disk.size!));
      } catch (err) {
        if (!isUnitValueError(err)) throw err;
        throw new GuestosError("BAD_DISK", `Invalid disk size for disk ${idx}: ${(err as Error).message}`);
      }
    } else if (has(disk, "adopt")) {
      if (has(disk, "spindles")) {
        throw new GuestosError("BAD_DISK", "spindles is not a valid option when adopting a disk");
      }
      disk.size = 0;
    } else {
      throw new GuestosError("BAD_DISK", `Missing size or adoption source for disk ${idx}`);
    }
    disks[idx] = disk;
  });

  // The opcode's type (TListOf(TIDiskParams)): keys and values non-empty strings, or ints.
  for (const disk of disks) {
    for (const [k, v] of Object.entries(disk)) {
      if (k === "" || v === "" || (typeof v !== "string" && typeof v !== "number")) {
        throw new GuestosError("BAD_DISK", "Parameter 'OP_INSTANCE_CREATE.disks' fails validation");
      }
    }
  }

  validateDeviceNames("disk", disks);
  let hasAdopt = false;
  let hasNoAdopt = false;
  const typed = disks.map((disk) => {
    // In ForceDictType's key order: an unknown key before a refused one is reported as unknown.
    for (const key of Object.keys(disk)) {
      if (!has(IDISK_PARAMS_TYPES, key)) break;
      if (DISK_KEYS_WITHOUT_LVM.has(key)) {
        throw new GuestosError(
          "BAD_DISK",
          `Cannot use disk parameter "${key}": the ${template} template does not support it`,
        );
      }
    }
    const t = enforceTypes(disk, IDISK_PARAMS_TYPES);
    if (has(t, "adopt")) hasAdopt = true;
    else hasNoAdopt = true;
    return t;
  });
  if (hasAdopt && hasNoAdopt) throw new GuestosError("BAD_DISK", "Either all disks are adopted or none is");
  if (hasAdopt && template !== "blockdev") {
    throw new GuestosError("BAD_DISK", `Disk adoption is not supported for the '${template}' disk template`);
  }
  if (!hasAdopt && template === "blockdev") {
    throw new GuestosError(
      "BAD_DISK",
      "Disk template blockdev requires disk adoption, but no 'adopt' parameter given",
    );
  }

  return typed.map((disk, index) => {
    const mode = disk.mode ?? "rw";
    if (mode !== "rw" && mode !== "ro") {
      throw new GuestosError("BAD_DISK", `Invalid disk access mode '${pyStr(mode)}'`);
    }
    if (disk.size === undefined || disk.size === null)
      throw new GuestosError("BAD_DISK", "Missing disk size");
    const name = typeof disk.name === "string" && disk.name.toLowerCase() !== "none" ? disk.name : null;
    const adopt = typeof disk.adopt === "string" ? disk.adopt : null;
    return { index, size: adopt === null ? (disk.size as number) : null, adopt, mode, name };
  });
}

/** socket.inet_pton(AF_INET or AF_INET6) as glibc does it: Node's checks without IPv6 zone ids. */
function isValidIp(ip: string): boolean {
  return isIPv4(ip) || (isIPv6(ip) && !ip.includes("%"));
}

const MAC_RE = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i;
const NIC_VALID_MODES = new Set(["bridged", "routed", "openvswitch", "pool"]);

/** LUInstanceCreate._CheckVLANArguments for one value: `.N`, `:N:M`, `.N:M` or `N` (made `.N`). */
function checkVlan(vlan: string): string {
  const invalid = () => new GuestosError("BAD_NIC", `Specified VLAN parameter is invalid : ${vlan}`);
  const first = [...vlan][0];
  const rest = vlan.slice(first!.length);
  const trunk = () => {
    if (!rest.split(":").every(pyIsDigit)) throw invalid();
  };
  if (first === ".") {
    if (!pyIsDigit(rest)) trunk();
    return vlan;
  }
  if (first === ":") {
    trunk();
    return vlan;
  }
  if (pyIsDigit(vlan)) return `.${vlan}`;
  throw invalid();
}

/**
 * The `--net N:key=val,...` values of `instance add`: by default one NIC with everything automatic, none with
 * `noNics` (ignored when values are given). A skipped index is an automatic NIC. `nicDefaults` are the node's
 * nicparams (mode=auto takes the default mode, as Ganeti stores it).
 */
export function parseNicOptions(
  values: readonly string[],
  opts: { noNics?: boolean; option?: string; nicDefaults?: { mode: string; link: string } } = {},
): NicRequest[] {
  const option = opts.option ?? "--net";
  const defaults = opts.nicDefaults ?? {
    mode: NICC_DEFAULTS.mode as string,
    link: NICC_DEFAULTS.link as string,
  };
  let nics: Record<string, ParamValue>[];
  if (values.length > 0) {
    const entries = values.map((v) => splitIdentKeyVal(option, v));
    const indices = parseIndices(entries, "NIC", MAX_NICS);
    nics = Array.from({ length: Math.max(...indices) + 1 }, () => ({}));
    entries.forEach(([, dict], i) => {
      const idx = indices[i]!;
      if (dict === false || dict === null) {
        throw new GuestosError("BAD_NIC", `Invalid nic/${idx} value: expected dict, got ${pyStr(dict)}`);
      }
      nics[idx] = enforceTypes(dict, INIC_PARAMS_TYPES, { what: "NIC" });
    });
  } else {
    nics = opts.noNics ? [] : [{}];
  }

  validateDeviceNames("NIC", nics);
  const vlans = nics.map((nic) =>
    typeof nic.vlan === "string" && nic.vlan !== "" ? checkVlan(nic.vlan) : null,
  );

  const macs = new Set<string>();
  return nics.map((nic, index): NicRequest => {
    const str = (key: string): string | null => (typeof nic[key] === "string" ? nic[key] : null);
    const modeReq = str("mode");
    const mode = modeReq === null || modeReq === "auto" ? defaults.mode : modeReq;
    let network = str("network");
    const link = str("link");
    if (network === null || network.toLowerCase() === "none") network = null;
    else if (modeReq !== null || link !== null) {
      throw new GuestosError("BAD_NIC", "If network is given, no mode or link is allowed to be passed");
    }

    const ipReq = str("ip");
    let ip: string | null;
    if (ipReq === null || ipReq.toLowerCase() === "none") ip = null;
    else if (ipReq.toLowerCase() === "auto") {
      throw new GuestosError(
        "BAD_NIC",
        `Cannot use ip "${ipReq}": guestos does not resolve instance names, give the address`,
      );
    } else if (ipReq.toLowerCase() === "pool") {
      if (network === null) {
        throw new GuestosError("BAD_NIC", "if ip=pool, parameter network must be passed too");
      }
      ip = "pool";
    } else if (!isValidIp(ipReq)) {
      throw new GuestosError("BAD_NIC", `Invalid IP address '${ipReq}'`);
    } else ip = ipReq;

    if (mode === "routed" && !ip && !network) {
      throw new GuestosError(
        "BAD_NIC",
        "Routed nic mode requires an ip address if not attached to a network",
      );
    }

    let mac = str("mac") ?? "auto";
    if (mac !== "auto" && mac !== "generate") {
      if (!MAC_RE.test(mac)) throw new GuestosError("BAD_NIC", `Invalid MAC address '${mac}'`);
      mac = mac.toLowerCase();
      if (macs.has(mac)) throw new GuestosError("BAD_NIC", `MAC address ${mac} already in use in cluster`);
      macs.add(mac);
    }

    // objects.NIC.CheckParameterSyntax on the filled parameters.
    const filledMode = modeReq ? mode : defaults.mode;
    if (!NIC_VALID_MODES.has(filledMode) && filledMode !== "auto") {
      throw new GuestosError("BAD_NIC", `Invalid NIC mode '${filledMode}'`);
    }
    if (filledMode === "bridged" && !(link || defaults.link)) {
      throw new GuestosError("BAD_NIC", "Missing bridged NIC link");
    }

    const name = str("name");
    return {
      index,
      mac,
      ip,
      mode: modeReq ? mode : null,
      link: link || null,
      vlan: vlans[index] ?? null,
      name: name === null || name.toLowerCase() === "none" ? null : name,
      // cfg.LookupNetwork: an empty name is no network.
      network: network || null,
    };
  });
}

/**
 * `-B k=v,...`: typed by BES_PARAMETER_COMPAT. On add, `memory` then sets maxmem and minmem. On modify
 * (`modify`), any case of "default" is kept as "default" and `memory` stays for the job to apply
 * (updateParams with useNone, then upgradeBeParams), as Ganeti does.
 */
export function parseBackendParams(
  value: string,
  opts: { modify?: boolean; option?: string } = {},
): ParamDict {
  const raw = parseKeyVal(opts.option ?? "-B", value, { prefixes: true });
  if (opts.modify) {
    return enforceTypes(normalizeDefaults(raw), BES_PARAMETER_COMPAT, {
      allowedValues: [VALUE_DEFAULT],
      what: "backend",
    });
  }
  const typed = enforceTypes(raw, BES_PARAMETER_COMPAT, { what: "backend" });
  return enforceTypes(upgradeBeParams(typed), BES_PARAMETER_TYPES);
}

/** Ganeti's FixHvParams: spaces in usb_devices stand for the commas the option syntax cannot carry. */
function fixHvParams(params: ParamDict): ParamDict {
  if (typeof params.usb_devices === "string") params.usb_devices = params.usb_devices.replaceAll(" ", ",");
  return params;
}

/**
 * The job's checks of an instance's own hypervisor parameters: each must be one of the hypervisor's
 * (`Parameter 'x' is not supported`) and none may be cluster-wide (HVC_GLOBALS).
 */
export function checkHvParams(hypervisor: Hypervisor, params: Readonly<ParamDict>): void {
  for (const key of Object.keys(params)) {
    if (!has(HVC_DEFAULTS[hypervisor], key)) {
      throw new GuestosError("PARAM_UNSUPPORTED", `Parameter '${key}' is not supported`);
    }
  }
  checkHvNotGlobal(params);
}

function checkHvNotGlobal(params: Readonly<ParamDict>): void {
  // Ganeti joins a frozenset, in hash order; sorted here so the text is stable.
  const globals = HVC_GLOBALS.filter((k) => has(params, k));
  if (globals.length > 0) {
    throw new GuestosError(
      "PARAM_GLOBAL",
      "The following hypervisor parameters are global and cannot be customized at instance level, please" +
        ` modify them at cluster level: ${globals.join(", ")}`,
    );
  }
}

/**
 * `-H`: on add `HV[:k=v,...]` (`withHypervisor`), on modify `k=v,...` where any case of "default" resets.
 * Typed by HVS_PARAMETER_TYPES as gnt-instance does; on add the hypervisor must exist and the parameters
 * must be its own (checkHvParams); on modify the job calls checkHvParams with the instance's hypervisor.
 */
export function parseHvOption(
  value: string,
  opts: { withHypervisor: boolean; option?: string },
): { hypervisor: Hypervisor | null; params: ParamDict } {
  const option = opts.option ?? "-H";
  if (!opts.withHypervisor) {
    const raw = normalizeDefaults(parseKeyVal(option, value, { prefixes: true }));
    const params = fixHvParams(enforceTypes(raw, HVS_PARAMETER_TYPES, { allowedValues: [VALUE_DEFAULT] }));
    checkHvNotGlobal(params);
    return { hypervisor: null, params };
  }
  const [ident, dict] = splitIdentKeyVal(option, value);
  const params = fixHvParams(enforceTypes(dict, HVS_PARAMETER_TYPES));
  if (!(HYPER_TYPES as readonly string[]).includes(ident)) {
    // The opcode's type check (THypervisor) is where Ganeti refuses an unknown hypervisor.
    throw new GuestosError("BAD_HYPERVISOR", "Parameter 'OP_INSTANCE_CREATE.hypervisor' fails validation", {
      hint: `known hypervisors: ${HYPER_TYPES.join(", ")}`,
    });
  }
  const hypervisor = ident as Hypervisor;
  checkHvParams(hypervisor, params);
  return { hypervisor, params };
}

/** `-O`, `--os-parameters-private`, `--os-parameters-secret`: string values, a bare key is an error. */
export function parseOsParams(value: string, option: string): Record<string, string> {
  return parseStringKeyVal(option, value);
}

/** No OS parameter may be given in two of the public, private and secret dicts (keys listed sorted). */
export function checkOsParamsRepeated(dicts: readonly Readonly<Record<string, string>>[]): void {
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const dict of dicts) {
    for (const key of Object.keys(dict)) (seen.has(key) ? repeated : seen).add(key);
  }
  if (repeated.size > 0) {
    throw new GuestosError(
      "OS_PARAMS_REPEATED",
      `OS parameters repeated multiple times: ${[...repeated].sort().join(", ")}`,
    );
  }
}

// objects.TaggableObject.VALID_TAG_RE, r"^[\w.+*/:@-]+$", with Python's Unicode \w (letters, numbers, _).
const VALID_TAG_RE = /^[\p{L}\p{N}_.+*/:@-]+$/u;

/** Ganeti's TaggableObject.ValidateTag: length in code points, not empty, allowed characters. */
export function validateTag(tag: string): void {
  if ([...tag].length > MAX_TAG_LEN) {
    throw new GuestosError("BAD_TAG", `Tag too long (>${MAX_TAG_LEN} characters)`);
  }
  if (!tag) throw new GuestosError("BAD_TAG", "Tags cannot be empty");
  if (!VALID_TAG_RE.test(tag)) throw new GuestosError("BAD_TAG", "Tag contains invalid characters");
}

/** `--tags a,b`: split on every comma (no escapes), each tag checked, duplicates merged as in Ganeti's set. */
export function parseTags(value: string): string[] {
  const tags = value.split(",");
  // The opcode's type (a list of non-empty strings) is checked before the tags themselves.
  if (tags.includes(""))
    throw new GuestosError("BAD_TAG", "Parameter 'OP_INSTANCE_CREATE.tags' fails validation");
  tags.forEach(validateTag);
  const unique = new Set<string>();
  for (const tag of tags) {
    // AddTag counts before adding, so even a repeated tag fails once the set is full.
    if (unique.size >= MAX_TAGS_PER_OBJ) throw new GuestosError("BAD_TAG", "Too many tags");
    unique.add(tag);
  }
  return [...unique];
}
