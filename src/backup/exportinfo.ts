/*
 * config.ini as Ganeti's backend.FinalizeExport writes it, from the instance as the master sends it
 * (rpc _InstDict: filled hv/be/os parameters, NIC parameters filled from the cluster's), plus guestos's
 * [guestos] section. Ganeti writes through ConfigParser.set(), which lower-cases option names and
 * refuses a bare `%`; guestos escapes `%` as `%%` instead, so that Ganeti's interpolating reader gets the
 * value back, and refuses what would read back differently (see putValue).
 */
import { pyStr } from "../env/pyrepr.js";
import { GuestosError } from "../errors.js";
import { HVC_GLOBALS, NICS_PARAMETER_TYPES } from "../node/hvdata.js";
import type { InstanceView, ParamValue } from "../node/types.js";
import { pyIsSpace } from "../osdef/pycompat.js";
import { escapeIniValue, iniReader } from "./configget.js";
import { parseIni, type IniDocument } from "./configini.js";
import { checkDumpName, EXPORT_VERSION, INISECT, MAX_DISKS } from "./exportnames.js";
import { GUESTOS_SECTION, guestosEntries, type GuestosDump } from "./guestossect.js";
import { pyLower } from "./pylower.js";

/** One transferred disk as FinalizeExport records it. */
export interface ExportedDisk {
  /** The instance's disk index. */
  index: number;
  /** The dump's file name in the export directory (Ganeti: the transferred disk's uuid). */
  dump: string;
  /** MiB. */
  size: number;
  /** The disk's name (Ganeti: None for an LVM snapshot). */
  name: string | null;
}

/** What buildExportConfig needs besides the instance. */
export interface BuildExportOptions {
  /** Seconds since the epoch; written as an int. */
  timestamp: number;
  /** The source node's uuid ([export] source). */
  source: string;
  dumps: ExportedDisk[];
  /** The instance's private OS parameters: given, they are written in clear into [os_private]. */
  privateParams?: Record<string, string>;
  /** Per-dump checksums and compression for [guestos]; without it the file is exactly Ganeti's. */
  guestos?: { dumps: GuestosDump[] };
}

const writeError = (section: string, key: string, why: string, hint?: string): GuestosError =>
  new GuestosError(
    "EXPORT_CONFIG",
    `Cannot write "${key}" to [${section}] of config.ini: ${why}`,
    hint ? { hint } : {},
  );

/** Python's `"%d" % value`, or its error text. */
function percentD(section: string, key: string, value: ParamValue | undefined): string {
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number") {
    if (Number.isNaN(value)) throw writeError(section, key, "cannot convert float NaN to integer");
    if (!Number.isFinite(value)) throw writeError(section, key, "cannot convert float infinity to integer");
    return BigInt(Math.trunc(value)).toString();
  }
  const type = value === null || value === undefined ? "NoneType" : Array.isArray(value) ? "list" : "str";
  throw writeError(section, key, `%d format: a real number is required, not ${type}`);
}

/** Whether `key = stored` reads back (universal newlines, interpolation) as exactly key and value. */
function readsBack(key: string, stored: string, value: string): boolean {
  try {
    const text = `[s]\n${key} = ${stored.replaceAll("\n", "\n\t")}\n`.replace(/\r\n?/g, "\n");
    const doc = parseIni(text, { source: "<check>" });
    const entries = doc.sections.get("s");
    return (
      doc.defaults.size === 0 &&
      entries?.size === 1 &&
      entries.has(key) &&
      iniReader(doc).get("s", key) === value
    );
  } catch {
    return false;
  }
}

/** ConfigParser.set() as guestos does it: name lower-cased, `%` escaped, nothing that would read back differently. */
function putValue(doc: IniDocument, section: string, name: string, value: string): void {
  const entries = doc.sections.get(section)!;
  const key = pyLower(name);
  if (entries.has(key)) throw writeError(section, key, "the name is given twice (option names ignore case)");
  const stored = escapeIniValue(value);
  if (!readsBack(key, stored, value)) {
    throw writeError(
      section,
      name,
      `${JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value)} would not read back as written`,
      "config.ini strips blanks around names and values, ends lines at \\r, and names cannot hold = : or start with # ; [",
    );
  }
  entries.set(key, stored);
}

/** Tags are written blank-separated, so a tag with a blank in it would come back as two. */
function tagsValue(tags: readonly string[]): string {
  for (const tag of tags) {
    if (tag === "" || [...tag].some(pyIsSpace)) {
      throw writeError(INISECT.instance, "tags", `the tag ${JSON.stringify(tag)} is empty or holds blanks`);
    }
  }
  return tags.join(" ");
}

/** [export] compression: Ganeti always writes "none"; guestos names its dumps' compression when they have one. */
function compressionOf(dumps: readonly GuestosDump[]): string {
  const kinds = new Set(dumps.map((d) => d.compression));
  if (kinds.size === 0) return "none";
  return kinds.size === 1 ? [...kinds][0]! : "mixed";
}

/**
 * config.ini for an export of `view`, as FinalizeExport writes it: [export], [instance], [hypervisor]
 * (filled, without the cluster-only globals), [backend] (filled), [os] (filled public parameters),
 * [os_private] only when `privateParams` is given (Ganeti always writes it), then [guestos].
 */
export function buildExportConfig(view: InstanceView, opts: BuildExportOptions): IniDocument {
  const doc: IniDocument = { defaults: new Map(), sections: new Map() };
  const section = (name: string, entries: [string, string][]): void => {
    doc.sections.set(name, new Map());
    for (const [k, v] of entries) putValue(doc, name, k, v);
  };
  const be = view.filled.beparams;
  const dumps = [...opts.dumps].sort((a, b) => a.index - b.index);
  const seen = new Set<number>();
  for (const d of dumps) {
    if (!Number.isInteger(d.index) || d.index < 0 || d.index >= MAX_DISKS || seen.has(d.index)) {
      throw writeError(INISECT.instance, `disk${d.index}_dump`, "bad or repeated disk index");
    }
    seen.add(d.index);
    checkDumpName(d.dump, "write");
  }
  const guestos = opts.guestos?.dumps ?? [];

  section(INISECT.export, [
    ["version", String(EXPORT_VERSION)],
    ["timestamp", percentD(INISECT.export, "timestamp", opts.timestamp)],
    ["source", opts.source],
    ["os", view.os],
    ["compression", compressionOf(guestos)],
  ]);

  const inst: [string, string][] = [
    ["name", view.name],
    ["maxmem", percentD(INISECT.instance, "maxmem", be.maxmem)],
    ["minmem", percentD(INISECT.instance, "minmem", be.minmem)],
    // "memory" is deprecated but kept by Ganeti for old readers.
    ["memory", percentD(INISECT.instance, "memory", be.maxmem)],
    ["vcpus", percentD(INISECT.instance, "vcpus", be.vcpus)],
    // utils.GetDiskTemplate over the transferred disks.
    ["disk_template", dumps.length === 0 ? "diskless" : view.diskTemplate],
    ["hypervisor", view.hypervisor],
    ["tags", tagsValue(view.tags)],
  ];
  view.nics.forEach((nic, i) => {
    const filled = view.filled.nics[i];
    if (filled === undefined)
      throw writeError(INISECT.instance, `nic${i}_mode`, "the NIC's parameters are not filled");
    inst.push(
      [`nic${i}_mac`, nic.mac],
      [`nic${i}_ip`, pyStr(nic.ip)],
      [`nic${i}_network`, pyStr(nic.network)],
      [`nic${i}_name`, pyStr(nic.name)],
    );
    const params = filled as unknown as Record<string, string | undefined>;
    for (const p of Object.keys(NICS_PARAMETER_TYPES)) inst.push([`nic${i}_${p}`, pyStr(params[p] ?? null)]);
  });
  inst.push(["nic_count", String(view.nics.length)]);
  for (const d of dumps) {
    inst.push(
      [`disk${d.index}_ivname`, `disk/${d.index}`],
      [`disk${d.index}_dump`, d.dump],
      [`disk${d.index}_size`, percentD(INISECT.instance, `disk${d.index}_size`, d.size)],
      [`disk${d.index}_name`, pyStr(d.name)],
    );
  }
  inst.push(["disk_count", String(dumps.length)]);
  section(INISECT.instance, inst);

  const str = (params: Record<string, ParamValue>): [string, string][] =>
    Object.entries(params).map(([k, v]) => [k, pyStr(v)]);
  section(
    INISECT.hypervisor,
    str(view.filled.hvparams).filter(([k]) => !HVC_GLOBALS.includes(k)),
  );
  section(INISECT.backend, str(be));
  section(INISECT.os, str(view.filled.osparams));
  if (opts.privateParams !== undefined) section(INISECT.osPrivate, str(opts.privateParams));
  if (opts.guestos !== undefined) section(GUESTOS_SECTION, guestosEntries(opts.guestos.dumps));
  return doc;
}
