/*
 * The [guestos] section of config.ini: what guestos knows about each dump beyond Ganeti's format (its
 * checksum, size and compression). Ganeti reads only the sections it knows ([export], [instance],
 * [hypervisor], [backend], [os], [os_private]) and its node re-serialises the others unchanged, so an
 * export with this section still imports into Ganeti, and an export without it is a plain Ganeti export.
 *
 *   [guestos]
 *   version = 1
 *   disk<i>_file = <dump file name in the export directory>
 *   disk<i>_sha256 = <64 lower-case hex digits>
 *   disk<i>_bytes = <decimal byte count>
 *   disk<i>_compression = none | gzip | zstd
 *
 * <i> is the disk index of [instance]'s disk<i>_dump; sha256 and bytes are the dump writer's figures.
 */
import { GuestosError } from "../errors.js";
import type { IniReader } from "./configget.js";
import { checkDumpName, MAX_DISKS } from "./exportnames.js";

/** The section's name in config.ini. */
export const GUESTOS_SECTION = "guestos";
/** The [guestos] format this code writes and reads. */
export const GUESTOS_EXPORT_VERSION = 1;
/** How a dump may be compressed. */
export const GUESTOS_COMPRESSIONS = ["none", "gzip", "zstd"] as const;
export type GuestosCompression = (typeof GUESTOS_COMPRESSIONS)[number];

/** One dump as [guestos] describes it. */
export interface GuestosDump {
  /** The disk index (disk<index>_* in [instance] and [guestos]). */
  index: number;
  /** The dump's file name inside the export directory. */
  file: string;
  /** Lower-case hex SHA-256 of the dump. */
  sha256: string;
  /** The dump's length in bytes. */
  bytes: number;
  compression: GuestosCompression;
}

/** The [guestos] section, read. */
export interface GuestosExportInfo {
  version: typeof GUESTOS_EXPORT_VERSION;
  /** By disk index. */
  dumps: GuestosDump[];
}

const FIELDS = ["file", "sha256", "bytes", "compression"] as const;
const SHA256 = /^[0-9a-f]{64}$/;
const BYTES = /^(?:0|[1-9][0-9]*)$/;

const quote = (value: string): string =>
  JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}...` : value);

/** Why a [guestos] value is not acceptable, or null. */
function problem(field: (typeof FIELDS)[number], value: string): string | null {
  switch (field) {
    case "sha256":
      return SHA256.test(value) ? null : `${quote(value)} is not a SHA-256 digest (64 lower-case hex digits)`;
    case "bytes":
      return BYTES.test(value) && Number.isSafeInteger(Number(value))
        ? null
        : `${quote(value)} is not a byte count (a decimal integer below 2^53)`;
    case "compression":
      return (GUESTOS_COMPRESSIONS as readonly string[]).includes(value)
        ? null
        : `${quote(value)} is not one of ${GUESTOS_COMPRESSIONS.join(", ")}`;
    case "file":
      return null;
  }
}

/** The [guestos] options for these dumps, in write order, every value checked. */
export function guestosEntries(dumps: readonly GuestosDump[]): [string, string][] {
  const out: [string, string][] = [["version", String(GUESTOS_EXPORT_VERSION)]];
  const seen = new Set<number>();
  for (const d of [...dumps].sort((a, b) => a.index - b.index)) {
    if (!Number.isInteger(d.index) || d.index < 0 || d.index >= MAX_DISKS || seen.has(d.index)) {
      throw new GuestosError(
        "EXPORT_CONFIG",
        `Cannot write dump of disk ${d.index} to config.ini: bad or repeated disk index`,
      );
    }
    seen.add(d.index);
    checkDumpName(d.file, "write");
    const values = { file: d.file, sha256: d.sha256, bytes: String(d.bytes), compression: d.compression };
    for (const field of FIELDS) {
      const why =
        field === "bytes" && !Number.isSafeInteger(d.bytes)
          ? `${d.bytes} is not a byte count`
          : problem(field, values[field]);
      if (why !== null) {
        throw new GuestosError(
          "EXPORT_CONFIG",
          `Cannot write "disk${d.index}_${field}" to [guestos] of config.ini: ${why}`,
        );
      }
      out.push([`disk${d.index}_${field}`, values[field]]);
    }
  }
  return out;
}

/** The [guestos] section of a config (null without one), every value checked. */
export function readGuestosSection(reader: IniReader, source: string): GuestosExportInfo | null {
  if (!reader.hasSection(GUESTOS_SECTION)) return null;
  const fail = (key: string, why: string, hint?: string): GuestosError =>
    new GuestosError(
      "EXPORT_GUESTOS",
      `Cannot read "${key}" in [guestos] of ${source}: ${why}`,
      hint ? { hint } : {},
    );
  if (!reader.hasOption(GUESTOS_SECTION, "version")) throw fail("version", "the option is missing");
  const version = reader.get(GUESTOS_SECTION, "version");
  if (version !== String(GUESTOS_EXPORT_VERSION)) {
    throw fail(
      "version",
      `version ${quote(version)} is not supported (this guestos reads version ${GUESTOS_EXPORT_VERSION})`,
      "a newer guestos wrote this export; upgrade guestos to import it",
    );
  }
  const dumps: GuestosDump[] = [];
  for (let i = 0; i < MAX_DISKS; i++) {
    const keys = FIELDS.map((f) => `disk${i}_${f}`);
    if (!keys.some((k) => reader.hasOption(GUESTOS_SECTION, k))) continue;
    const values: string[] = [];
    FIELDS.forEach((field, n) => {
      const key = keys[n]!;
      if (!reader.hasOption(GUESTOS_SECTION, key)) throw fail(key, "the option is missing");
      const value = reader.get(GUESTOS_SECTION, key);
      const why = problem(field, value);
      if (why !== null) throw fail(key, why);
      values.push(value);
    });
    const [file, sha256, bytes, compression] = values as [string, string, string, GuestosCompression];
    checkDumpName(file, "read");
    dumps.push({ index: i, file, sha256, bytes: Number(bytes), compression });
  }
  return { version: GUESTOS_EXPORT_VERSION, dumps };
}
