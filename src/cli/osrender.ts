import { dict, genericInfoLines, pairs, type Info } from "./genericinfo.js";
import { pyText } from "./pytext.js";
import { niceSort, type CatalogEntry } from "../osdef/index.js";
import type { OsParameter, OsVerdict } from "../osdef/types.js";

/** Per-OS node settings the listings show: hidden/blacklisted, and gnt-os info's per-variant parameters. */
export interface OsFlags {
  hidden: ReadonlySet<string>;
  blacklisted: ReadonlySet<string>;
  /** Ganeti's os_hvp and osparams, keyed by the exact OS string. */
  osHvp?: Readonly<Record<string, Record<string, Record<string, unknown>>>>;
  osparams?: Readonly<Record<string, Record<string, string>>>;
}

export const NO_FLAGS: OsFlags = { hidden: new Set(), blacklisted: new Set() };

/** The cluster-level view Ganeti's OS query computes from one node's first entry. */
interface OsSummary {
  name: string;
  valid: boolean;
  variants: string[];
  parameters: OsParameter[];
  apiVersions: number[];
  trusted: boolean;
}

function summarize(entry: CatalogEntry): OsSummary {
  const f = entry.first;
  if (!f.valid)
    return { name: entry.name, valid: false, variants: [], parameters: [], apiVersions: [], trusted: true };
  const params = new Map<string, OsParameter>();
  for (const p of f.os.parameters) params.set(`${p.name}\0${p.description}`, p);
  return {
    name: entry.name,
    valid: true,
    variants: niceSort([...new Set(f.os.variants)]),
    parameters: niceSort([...params.values()], (p) => p.name),
    apiVersions: [...new Set(f.os.apiVersions)].sort((a, b) => a - b),
    trusted: f.os.trusted,
  };
}

const commaJoin = (xs: readonly (string | number)[]): string => xs.join(", ");
const osStatus = (v: OsVerdict): string => (v.valid ? "valid" : `invalid - ${v.message}`);

/** The `Node: ...` status text of gnt-os diagnose for a node's first entry. */
function nodeStatus(v: OsVerdict): string {
  let msg = `${osStatus(v)} (path: ${v.path})`;
  const api = v.valid ? v.os.apiVersions : [];
  const maxApi = api.length > 0 ? Math.max(...api) : 0;
  msg += api.length > 0 ? ` [API versions: ${commaJoin(api)}]` : " [no API versions declared]";
  if (maxApi >= 15) {
    const variants = v.valid ? v.os.variants : [];
    msg += variants.length > 0 ? ` [variants: ${commaJoin(variants)}]` : " [no variants]";
  }
  if (maxApi >= 20) {
    const params = v.valid ? v.os.parameters : [];
    msg += params.length > 0 ? ` [parameters: ${commaJoin(params.map((p) => p.name))}]` : " [no parameters]";
  }
  msg += !v.valid || v.os.trusted ? " [trusted]" : " [untrusted]";
  return msg;
}

/** gnt-os diagnose's text for one node, plus the shadowed copies Ganeti would crash on. */
export function renderDiagnose(entries: CatalogEntry[], node: string, flags: OsFlags = NO_FLAGS): string[] {
  const lines: string[] = [];
  for (const entry of entries) {
    const s = summarize(entry);
    let head = `OS: ${entry.name} [global status: ${s.valid ? "valid" : "invalid"}]`;
    if (flags.hidden.has(entry.name)) head += " [hidden]";
    if (flags.blacklisted.has(entry.name)) head += " [blacklisted]";
    lines.push(head);
    if (s.variants.length > 0) lines.push(`  Variants: [${commaJoin(s.variants)}]`);
    lines.push(`  Node: ${node}, status: ${nodeStatus(entry.first)}`);
    for (const h of entry.shadowed) lines.push(`    [hidden] path: ${h.path}, status: ${osStatus(h)}`);
    lines.push("");
  }
  return lines;
}

/** True when every OS's first entry is valid (gnt-os diagnose exits 1 otherwise). */
export function allValid(entries: CatalogEntry[]): boolean {
  return entries.every((e) => e.first.valid);
}

/** gnt-os list: valid, visible, allowed OSes expanded to `name+variant`. */
export function listNames(entries: CatalogEntry[], flags: OsFlags = NO_FLAGS): string[] {
  const names: string[] = [];
  for (const entry of entries) {
    const s = summarize(entry);
    if (!s.valid || flags.hidden.has(s.name) || flags.blacklisted.has(s.name)) continue;
    if (s.variants.length === 0) names.push(s.name);
    else for (const v of s.variants) names.push(`${s.name}+${v}`);
  }
  return names;
}

const pyBool = (b: boolean): string => (b ? "True" : "False");

/** gnt-os info: one block per OS (restricted to `names` when given); unknown names get `<name>: `. */
export function renderInfo(entries: CatalogEntry[], names: string[], flags: OsFlags = NO_FLAGS): string[] {
  // A list, not a set: like Ganeti's args.remove(), a name given twice matches once and is then unknown.
  const wanted = names.length > 0 ? [...names] : null;
  const lines: string[] = [];
  for (const entry of entries) {
    if (wanted) {
      const at = wanted.indexOf(entry.name);
      if (at < 0) continue;
      wanted.splice(at, 1);
    }
    const s = summarize(entry);
    lines.push(`${s.name}:`, `  - valid: ${pyBool(s.valid)}`);
    lines.push(`  - hidden: ${pyBool(flags.hidden.has(s.name))}`);
    lines.push(`  - blacklisted: ${pyBool(flags.blacklisted.has(s.name))}`);
    if (s.valid) {
      lines.push("  - API versions:", ...s.apiVersions.map((v) => `    - ${v}`));
      lines.push("  - variants:", ...s.variants.map((v) => `    - ${v}`));
      lines.push("  - parameters:", ...s.parameters.map((p) => `    - ${p.name}: ${p.description}`));
    }
    lines.push(`  - trusted: ${pyBool(s.trusted)}`, "");
  }
  // Like OpOsDiagnose, only `name+variant` strings of a listed variant carry their parameters.
  const known = new Set(
    entries.flatMap((e) => (e.first.valid ? e.first.os.variants.map((v) => `${e.name}+${v}`) : [])),
  );
  for (const name of wanted ?? []) {
    const hvp = flags.osHvp?.[name];
    const osp = flags.osparams?.[name];
    if (!known.has(name) || (hvp === undefined && osp === undefined)) {
      lines.push(`${name}: `, "");
      continue;
    }
    const params = (d: Record<string, unknown>): Info =>
      dict(
        Object.fromEntries(
          Object.entries(d).map(([k, v]) => [
            k,
            typeof v === "object" && v !== null ? params(v as Record<string, unknown>) : pyText(v),
          ]),
        ),
      );
    lines.push(
      ...genericInfoLines(
        pairs([
          [
            name,
            pairs([
              ["OS-specific hypervisor parameters", params(hvp ?? {})],
              ["OS parameters", params(osp ?? {})],
            ]),
          ],
        ]),
      ),
      "",
    );
  }
  return lines;
}

/** One OS of `os diagnose --json`. */
export function diagnoseJson(entry: CatalogEntry): Record<string, unknown> {
  const f = entry.first;
  const verdict = (v: OsVerdict) => ({
    path: v.path,
    status: v.valid ? "valid" : "invalid",
    message: v.valid ? "" : v.message,
    ...(!v.valid && v.hint ? { hint: v.hint } : {}),
  });
  return {
    name: entry.name,
    ...verdict(f),
    apiVersions: f.valid ? f.os.apiVersions : [],
    variants: f.valid ? f.os.variants : [],
    parameters: f.valid ? f.os.parameters.map((p) => ({ name: p.name, description: p.description })) : [],
    trusted: f.valid ? f.os.trusted : true,
    shadowed: entry.shadowed.map(verdict),
  };
}
