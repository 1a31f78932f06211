import { hostname } from "node:os";
import { GuestosError } from "../errors.js";
import type { ParamDict } from "../node/types.js";
import { withNode, type NodeOptions } from "./nodeopen.js";
import { diagnose, searchPathFrom, validateOs } from "../osdef/index.js";
import { parseStringKeyVal } from "./keyval.js";
import type { CommandResult } from "./output.js";
import { allValid, diagnoseJson, listNames, renderDiagnose, renderInfo, type OsFlags } from "./osrender.js";
import { readConfig } from "../node/config.js";
import { resolveHome } from "../node/home.js";
import { formatTable } from "./table.js";

/** Options every `guestos os` command takes. */
export interface OsCommonOptions {
  searchPath?: string | undefined;
  home?: string | undefined;
  json?: boolean | undefined;
}

/**
 * What the listings need of the node: its config file only (no store), read once per command: the search
 * path (--search-path, else GUESTOS_OS_SEARCH_PATH, else the config's, else Debian's), the hidden and
 * blacklisted OSes and the per-OS parameters.
 */
function nodeView(opts: OsCommonOptions): { searchPath: string[]; flags: OsFlags } {
  const c = readConfig(resolveHome({ flag: opts.home }));
  return {
    searchPath: searchPathFrom({ flag: opts.searchPath, configured: c.searchPath }),
    flags: {
      hidden: new Set(c.hiddenOs),
      blacklisted: new Set(c.blacklistedOs),
      osHvp: c.osHvp,
      osparams: c.osparams,
    },
  };
}

/** `guestos os list`: valid OS names with their variants, as gnt-os list. */
export async function osList(opts: OsCommonOptions & { headers?: boolean }): Promise<CommandResult> {
  const { searchPath, flags } = nodeView(opts);
  const names = listNames(await diagnose(searchPath), flags);
  if (opts.json) return { json: names };
  return {
    lines: formatTable(
      opts.headers === false ? null : ["Name"],
      names.map((n) => [n]),
    ),
  };
}

/** `guestos os diagnose`: every OS with its status; exit 1 when any is invalid. */
export async function osDiagnose(opts: OsCommonOptions): Promise<CommandResult> {
  const { searchPath, flags } = nodeView(opts);
  const entries = await diagnose(searchPath);
  const exitCode = allValid(entries) ? 0 : 1;
  if (opts.json) return { json: entries.map(diagnoseJson), exitCode };
  return { lines: renderDiagnose(entries, hostname(), flags), exitCode };
}

/** `guestos os info [NAME...]`: details of each OS, as gnt-os info. */
export async function osInfo(names: string[], opts: OsCommonOptions): Promise<CommandResult> {
  const { searchPath, flags } = nodeView(opts);
  const entries = await diagnose(searchPath);
  if (opts.json) {
    const picked = names.length > 0 ? entries.filter((e) => names.includes(e.name)) : entries;
    return { json: picked.map(diagnoseJson) };
  }
  return { lines: renderInfo(entries, names, flags) };
}

/** `guestos os validate NAME[+VARIANT]`: the variant and parameter checks, running `verify`. */
export async function osValidate(
  full: string,
  opts: OsCommonOptions & { osParameters?: string; forceVariant?: boolean; timeout?: number },
): Promise<CommandResult> {
  const osparams = parseStringKeyVal("-O", opts.osParameters ?? "");
  const os = await validateOs(full, {
    searchPath: nodeView(opts).searchPath,
    osparams,
    forceVariant: opts.forceVariant ?? false,
    ...(opts.timeout ? { timeoutMs: opts.timeout * 1000 } : {}),
  });
  if (opts.json) return { json: { os: full, path: os.path, valid: true, parameters: Object.keys(osparams) } };
  return { lines: [`OS ${full} (${os.path}) accepts the given parameters`] };
}

/** Ganeti's bool options (`--hidden`, `--blacklisted`): yes/no/true/false in any case. */
function yesNo(option: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === "yes" || v === "true") return true;
  if (v === "no" || v === "false") return false;
  throw new GuestosError("BAD_OPTION", `Invalid boolean value '${value}'`, {
    hint: `${option} takes yes or no`,
  });
}

/** `guestos os modify [--hidden yes|no] [--blacklisted yes|no] [-O ..] [--os-parameters-private ..] [-H HV:..] NAME`. */
export async function osModify(
  name: string,
  opts: NodeOptions & {
    hidden?: string | undefined;
    blacklisted?: string | undefined;
    osParameters?: string | undefined;
    osParametersPrivate?: string | undefined;
    hypervisorParameters?: string[] | undefined;
  },
): Promise<CommandResult> {
  // Loaded here: the listing commands must not pay for the parameter tables.
  const { parseHvOption, parseOsParams } = await import("./instargs.js");
  const hv: Record<string, ParamDict> = {};
  for (const h of opts.hypervisorParameters ?? []) {
    const parsed = parseHvOption(h, { withHypervisor: true });
    if (parsed.hypervisor) hv[parsed.hypervisor] = { ...hv[parsed.hypervisor], ...parsed.params };
  }
  const req = {
    name,
    ...(opts.hidden !== undefined ? { hidden: yesNo("--hidden", opts.hidden) } : {}),
    ...(opts.blacklisted !== undefined ? { blacklisted: yesNo("--blacklisted", opts.blacklisted) } : {}),
    ...(opts.osParameters !== undefined ? { osparams: parseOsParams(opts.osParameters, "-O") } : {}),
    ...(opts.osParametersPrivate !== undefined
      ? { osparamsPrivate: parseOsParams(opts.osParametersPrivate, "--os-parameters-private") }
      : {}),
    ...(Object.keys(hv).length > 0 ? { hvparams: hv } : {}),
  };
  const { modifyOs } = await import("../ops/index.js");
  return withNode(opts, async (node) => {
    const res = await modifyOs(node, req);
    return opts.json ? { json: { jobId: res.jobId, ...res.result } } : {};
  });
}
