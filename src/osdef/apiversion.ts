// ganeti_api_version: one integer per line, every line must parse (_OSOndiskAPIVersion).
import { pyInt } from "./pyint.js";
import { pySplitlines, pyStrip } from "./pycompat.js";
import { SUPPORTED_API_VERSIONS } from "./types.js";

/** str(constants.OS_API_VERSIONS) as Debian's Python 3.11 prints it (frozenset hash order, not sorted). */
export const PY_API_VERSIONS_SET = "frozenset({10, 20, 15})";

/** The versions exactly as Python holds them (arbitrary precision), or Ganeti's parse error message. */
export function parseApiVersionsExact(
  text: string,
): { ok: true; versions: bigint[] } | { ok: false; message: string } {
  const versions: bigint[] = [];
  for (const line of pySplitlines(text)) {
    const r = pyInt(pyStrip(line));
    if (!r.ok) return { ok: false, message: `API version(s) can't be converted to integer: ${r.message}` };
    versions.push(r.value);
  }
  return { ok: true, versions };
}

/** Parse the content of ganeti_api_version: file order, duplicates kept; an error carries Ganeti's message. */
export function parseApiVersionFile(
  text: string,
): { ok: true; versions: number[] } | { ok: false; message: string } {
  const r = parseApiVersionsExact(text);
  return r.ok ? { ok: true, versions: r.versions.map(Number) } : r;
}

/** The supported versions among `versions` (Ganeti's OS_API_VERSIONS.intersection). */
export function supportedOf(versions: readonly bigint[]): number[] {
  return SUPPORTED_API_VERSIONS.filter((v) => versions.includes(BigInt(v)));
}

/** Ganeti's verdict when no listed version is supported, e.g. `found [5, 30], want frozenset({10, 20, 15}).` */
export function apiMismatchMessage(osDir: string, versions: readonly bigint[]): string {
  return `API version mismatch for path '${osDir}': found [${versions.join(", ")}], want ${PY_API_VERSIONS_SET}.`;
}

/** Extra help for definitions still written for Ganeti 1.2's API 5, which Ganeti 2.0 and later reject. */
export const API5_HINT =
  "This OS definition is written for API 5 (Ganeti 1.2), where scripts got command-line arguments " +
  "(-i, -b, -s) and ran through a shell. API 10 (Ganeti 2.0 and later) passes everything in environment " +
  "variables instead (INSTANCE_NAME, DISK_COUNT, DISK_0_PATH, ...), handles any number of disks and NICs, " +
  "and runs import/export per disk. Port the scripts and write 10 (or 15, 20) into ganeti_api_version; " +
  "see ganeti-os-interface(7).";

/** The hint for a version mismatch: the API 5 upgrade notes when 5 is among the listed versions. */
export function apiMismatchHint(versions: readonly bigint[]): string | undefined {
  return versions.includes(5n) ? API5_HINT : undefined;
}
