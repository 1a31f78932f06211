import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The node's home directory: `--home`, else GUESTOS_HOME, else /var/lib/guestos for root and
 * $XDG_STATE_HOME/guestos (or ~/.local/state/guestos) for everyone else.
 */
export function resolveHome(opts: { flag?: string | undefined; env?: NodeJS.ProcessEnv } = {}): string {
  const env = opts.env ?? process.env;
  if (opts.flag) return opts.flag;
  if (env.GUESTOS_HOME) return env.GUESTOS_HOME;
  if (process.getuid?.() === 0) return "/var/lib/guestos";
  return join(env.XDG_STATE_HOME || join(homedir(), ".local", "state"), "guestos");
}

/** Where OS script logs go inside a home (Ganeti's /var/log/ganeti/os). */
export function osLogDir(home: string): string {
  return join(home, "log", "os");
}
