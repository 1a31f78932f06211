import { resolve } from "node:path";

/** Debian's Ganeti OS search path (pathutils.OS_SEARCH_PATH), in lookup order. */
export const DEFAULT_SEARCH_PATH: string[] = [
  "/srv/ganeti/os",
  "/usr/local/lib/ganeti/os",
  "/usr/lib/ganeti/os",
  "/usr/share/ganeti/os",
];

// Ganeti only ever sees absolute, normalized search dirs (ListVisibleFiles refuses anything else), and OS paths
// become script paths executed with cwd = the OS dir, so relative entries are resolved once, here.
function split(list: string): string[] {
  return list
    .split(":")
    .filter((d) => d !== "")
    .map((d) => resolve(d));
}

/**
 * The search path: `--search-path DIR[:DIR]`, else $GUESTOS_OS_SEARCH_PATH, else the node config's
 * `searchPath` (`configured`, taken as written), else Debian's default.
 */
export function searchPathFrom(opts: {
  flag?: string | undefined;
  env?: NodeJS.ProcessEnv;
  configured?: readonly string[] | null;
}): string[] {
  if (opts.flag !== undefined && opts.flag !== "") return split(opts.flag);
  const fromEnv = (opts.env ?? process.env).GUESTOS_OS_SEARCH_PATH;
  if (fromEnv !== undefined && fromEnv !== "") return split(fromEnv);
  return [...(opts.configured ?? DEFAULT_SEARCH_PATH)];
}
