import { hostname } from "node:os";
import { diagnose, searchPathFrom, validateOs } from "../osdef/index.js";
import { parseStringKeyVal } from "./keyval.js";
import type { CommandResult } from "./output.js";
import { allValid, diagnoseJson, listNames, renderDiagnose, renderInfo } from "./osrender.js";
import { formatTable } from "./table.js";

/** Options every `guestos os` command takes. */
export interface OsCommonOptions {
  searchPath?: string | undefined;
  json?: boolean | undefined;
}

const catalog = (opts: OsCommonOptions) => diagnose(searchPathFrom({ flag: opts.searchPath }));

/** `guestos os list`: valid OS names with their variants, as gnt-os list. */
export async function osList(opts: OsCommonOptions & { headers?: boolean }): Promise<CommandResult> {
  const names = listNames(await catalog(opts));
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
  const entries = await catalog(opts);
  const exitCode = allValid(entries) ? 0 : 1;
  if (opts.json) return { json: entries.map(diagnoseJson), exitCode };
  return { lines: renderDiagnose(entries, hostname()), exitCode };
}

/** `guestos os info [NAME...]`: details of each OS, as gnt-os info. */
export async function osInfo(names: string[], opts: OsCommonOptions): Promise<CommandResult> {
  const entries = await catalog(opts);
  if (opts.json) {
    const picked = names.length > 0 ? entries.filter((e) => names.includes(e.name)) : entries;
    return { json: picked.map(diagnoseJson) };
  }
  return { lines: renderInfo(entries, names) };
}

/** `guestos os validate NAME[+VARIANT]`: the variant and parameter checks, running `verify`. */
export async function osValidate(
  full: string,
  opts: OsCommonOptions & { osParameters?: string; forceVariant?: boolean; timeout?: number },
): Promise<CommandResult> {
  const osparams = parseStringKeyVal("-O", opts.osParameters ?? "");
  const os = await validateOs(full, {
    searchPath: searchPathFrom({ flag: opts.searchPath }),
    osparams,
    forceVariant: opts.forceVariant ?? false,
    ...(opts.timeout ? { timeoutMs: opts.timeout * 1000 } : {}),
  });
  if (opts.json) return { json: { os: full, path: os.path, valid: true, parameters: Object.keys(osparams) } };
  return { lines: [`OS ${full} (${os.path}) accepts the given parameters`] };
}
