/*
 * config.ini read as Ganeti 3.0's import reads it: the node's ExportInfo (file read with universal
 * newlines, [export] and [instance] required), then LUInstanceCreate._ReadExportInfo and
 * _ReadExportParams over SerializableConfigParser, whose get() turns "none" (any case) into None and
 * forgives a missing disk<i>_name, nic<i>_name, nic<i>_network or nic<i>_vlan. The result is what the
 * export contributes when the user gives nothing; the user's own values go over it.
 */
import { GuestosError } from "../errors.js";
import { BES_PARAMETER_TYPES, NICS_PARAMETER_TYPES } from "../node/hvdata.js";
import { pyIsSpace } from "../osdef/pycompat.js";
import { pyInt } from "../osdef/pyint.js";
import { iniReader, type IniReader } from "./configget.js";
import { parseIni } from "./configini.js";
import { checkDumpName, EXPORT_VERSION, INISECT, MAX_DISKS, MAX_NICS } from "./exportnames.js";
import { readGuestosSection, type GuestosExportInfo } from "./guestossect.js";
import { pyLower } from "./pylower.js";

/** One disk the export describes (disk<index>_size present). */
export interface ExportDisk {
  /** The i of disk<i>_size (Ganeti skips missing indexes, so this may differ from the position). */
  index: number;
  /** MiB. */
  size: number;
  name: string | null;
  /**
   * The dump Ganeti imports into the new instance's disk at this position, or null (not imported):
   * disk<k>_dump for the k-th disk read, since Ganeti pairs them by position, not by index.
   */
  dump: string | null;
}

/** One NIC of the export (nic<i>_mac present). null: absent or "none". */
export interface ExportNic {
  index: number;
  mac: string | null;
  ip: string | null;
  name: string | null;
  /** When set, link, mode and vlan are not read (the network's own apply). */
  network: string | null;
  link: string | null;
  mode: string | null;
  vlan: string | null;
}

/** What an export gives an import, by Ganeti's reading rules, plus guestos's [guestos] section. */
export interface ExportInfo {
  /** [export] os: Ganeti always imports with this OS (variant check forced off). */
  os: string | null;
  /** [instance] name: the old name the rename script gets after the import. */
  name: string | null;
  /** Informational ([export] timestamp, source, compression; [instance] disk_template): import ignores them. */
  timestamp: number | null;
  source: string | null;
  compression: string | null;
  diskTemplate: string | null;
  disks: ExportDisk[];
  /** disk<k>_dump for k = 0..15, trailing nulls trimmed: the dump of the new instance's disk k. */
  dumps: (string | null)[];
  nics: ExportNic[];
  tags: string[];
  hypervisor: string | null;
  /** [hypervisor] (with DEFAULT's options, as items() gives them). */
  hvparams: Record<string, string>;
  /** [backend] (its old `memory` filling maxmem and minmem), or without it the old [instance] keys. */
  beparams: Record<string, string | null>;
  osparams: Record<string, string>;
  osparamsPrivate: Record<string, string>;
  guestos: GuestosExportInfo | null;
}

/** SerializableConfigParser.get's list of options whose absence means None (re.match: a prefix). */
const MAY_BE_MISSING = /^(?:(?:disk|nic)\d+_name|nic\d+_(?:network|vlan))/;

/** Python's TypeError for int(None). */
const INT_OF_NONE = "int() argument must be a string, a bytes-like object or a real number, not 'NoneType'";

/** SerializableConfigParser.get. */
function ganetiGet(reader: IniReader, section: string, option: string): string | null {
  if (reader.hasSection(section) && !reader.hasOption(section, option) && MAY_BE_MISSING.test(option))
    return null;
  const value = reader.get(section, option);
  return pyLower(value) === "none" ? null : value;
}

/** Python's int() of a value read with ganetiGet, as a JS number. */
function toInt(value: string | null, code: string, what: string): bigint {
  if (value === null) throw new GuestosError(code, INT_OF_NONE);
  const r = pyInt(value);
  if (!r.ok) throw new GuestosError(code, r.message, { hint: `reading ${what}` });
  return r.value;
}

/** Python's str.split() with no argument. */
function pySplit(s: string): string[] {
  const out: string[] = [];
  let word = "";
  for (const ch of s) {
    if (pyIsSpace(ch)) {
      if (word !== "") out.push(word);
      word = "";
    } else word += ch;
  }
  if (word !== "") out.push(word);
  return out;
}

/** The text of config.ini: bytes must be UTF-8, as Ganeti's node (Python in a UTF-8 locale) decodes them. */
function decode(text: string | Uint8Array, source: string): string {
  if (typeof text === "string") return text;
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(text);
  } catch (err) {
    throw new GuestosError("CONFIG_INI", `Cannot read ${source}: not UTF-8 text`, { cause: err });
  }
}

function readDisks(reader: IniReader): { index: number; size: number; name: string | null }[] {
  const disks: { index: number; size: number; name: string | null }[] = [];
  for (let i = 0; i < MAX_DISKS; i++) {
    const key = `disk${i}_size`;
    if (!reader.hasOption(INISECT.instance, key)) continue;
    const big = toInt(ganetiGet(reader, INISECT.instance, key), "EXPORT_CONFIG", `[instance] ${key}`);
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new GuestosError(
        "EXPORT_CONFIG",
        `Cannot read "${key}" in [instance]: ${big} MiB is out of range`,
      );
    }
    disks.push({ index: i, size: Number(big), name: ganetiGet(reader, INISECT.instance, `disk${i}_name`) });
  }
  return disks;
}

function readNics(reader: IniReader): ExportNic[] {
  const nics: ExportNic[] = [];
  const get = (key: string): string | null => ganetiGet(reader, INISECT.instance, key);
  for (let i = 0; i < MAX_NICS && reader.hasOption(INISECT.instance, `nic${i}_mac`); i++) {
    const has = (p: string): boolean => reader.hasOption(INISECT.instance, `nic${i}_${p}`);
    const nic: ExportNic = {
      index: i,
      mac: null,
      ip: null,
      name: null,
      network: null,
      link: null,
      mode: null,
      vlan: null,
    };
    if (has("ip")) nic.ip = get(`nic${i}_ip`);
    nic.mac = get(`nic${i}_mac`);
    if (has("name")) nic.name = get(`nic${i}_name`);
    const network = get(`nic${i}_network`);
    if (network) nic.network = network;
    else {
      // Ganeti walks a frozenset here, so which of two missing options it names first varies per process.
      for (const p of Object.keys(NICS_PARAMETER_TYPES) as ("link" | "mode" | "vlan")[])
        nic[p] = get(`nic${i}_${p}`);
    }
    nics.push(nic);
  }
  return nics;
}

function readBeparams(reader: IniReader): Record<string, string | null> {
  const be = new Map<string, string | null>();
  if (reader.hasSection(INISECT.backend)) {
    for (const [name, value] of reader.items(INISECT.backend)) {
      if (!be.has(name)) be.set(name, value);
      // The old "memory" fills maxmem and minmem where not set yet (so its place in the section matters).
      if (name === "memory") {
        if (!be.has("maxmem")) be.set("maxmem", value);
        if (!be.has("minmem")) be.set("minmem", value);
      }
    }
  } else {
    for (const name of Object.keys(BES_PARAMETER_TYPES)) {
      if (reader.hasOption(INISECT.instance, name)) be.set(name, ganetiGet(reader, INISECT.instance, name));
    }
  }
  return Object.fromEntries(be);
}

/** The raw value of an informational option (null when absent), never an error. */
function lenient(reader: IniReader, section: string, option: string): string | null {
  return reader.hasOption(section, option) ? reader.get(section, option, { raw: true }) : null;
}

/**
 * Read an export's config.ini by Ganeti 3.0's rules (§7.3), with Ganeti's messages: parse errors
 * (CONFIG_INI), "Export info file doesn't have the required fields" (EXPORT_CORRUPT), "Wrong export
 * version <v> (wanted 0)" (EXPORT_VERSION), missing required options (CONFIG_INI, "No option ..."), bad
 * integers (EXPORT_CONFIG). Dump names must be plain file names (EXPORT_BAD_DUMP), and [guestos] must
 * be well-formed (EXPORT_GUESTOS). `source` is the file's path, as Ganeti's messages name it. Bytes are
 * decoded as UTF-8 and line ends translated as Python's open() does.
 */
export function readExportConfig(text: string | Uint8Array, opts: { source: string }): ExportInfo {
  const { source } = opts;
  const doc = parseIni(decode(text, source).replace(/\r\n?/g, "\n"), { source });
  const reader = iniReader(doc);
  if (!reader.hasSection(INISECT.export) || !reader.hasSection(INISECT.instance)) {
    throw new GuestosError("EXPORT_CORRUPT", "Export info file doesn't have the required fields");
  }
  const version = ganetiGet(reader, INISECT.export, "version");
  if (toInt(version, "EXPORT_VERSION", "[export] version") !== BigInt(EXPORT_VERSION)) {
    throw new GuestosError("EXPORT_VERSION", `Wrong export version ${version} (wanted ${EXPORT_VERSION})`);
  }
  const os = ganetiGet(reader, INISECT.export, "os");
  const disks = readDisks(reader);
  const nics = readNics(reader);
  const tags = reader.hasOption(INISECT.instance, "tags")
    ? pySplit(reader.get(INISECT.instance, "tags"))
    : [];
  const hypervisor = reader.hasOption(INISECT.instance, "hypervisor")
    ? ganetiGet(reader, INISECT.instance, "hypervisor")
    : null;
  const items = (section: string): Record<string, string> =>
    reader.hasSection(section) ? Object.fromEntries(reader.items(section)) : {};
  const hvparams = items(INISECT.hypervisor);
  const beparams = readBeparams(reader);
  const osparams = items(INISECT.os);
  const osparamsPrivate = items(INISECT.osPrivate);
  const name = ganetiGet(reader, INISECT.instance, "name");

  const dumps: (string | null)[] = [];
  for (let k = 0; k < MAX_DISKS; k++) {
    const key = `disk${k}_dump`;
    if (!reader.hasOption(INISECT.instance, key)) continue;
    const dump = reader.get(INISECT.instance, key);
    if (pyLower(dump) === "none") {
      // Ganeti's get() makes it None, on which its PathJoin fails.
      throw new GuestosError(
        "EXPORT_BAD_DUMP",
        `Cannot read dump ${JSON.stringify(dump)}: "none" means no value in config.ini`,
        {
          hint: "a dump must be a plain file name inside the export directory",
        },
      );
    }
    checkDumpName(dump, "read");
    dumps[k] = dump;
  }
  const timestamp = lenient(reader, INISECT.export, "timestamp");
  return {
    os,
    name,
    timestamp: timestamp !== null && /^[0-9]{1,15}$/.test(timestamp) ? Number(timestamp) : null,
    source: lenient(reader, INISECT.export, "source"),
    compression: lenient(reader, INISECT.export, "compression"),
    diskTemplate: lenient(reader, INISECT.instance, "disk_template"),
    disks: disks.map((d, k) => ({ ...d, dump: dumps[k] ?? null })),
    dumps: Array.from(dumps, (d) => d ?? null),
    nics,
    tags,
    hypervisor,
    hvparams,
    beparams,
    osparams,
    osparamsPrivate,
    guestos: readGuestosSection(reader, source),
  };
}
