import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

import { GuestosError, errnoName } from "../errors.js";

const openFd = promisify(fs.open);

// Enough for any burst of runs within one second; beyond it something is wrong (or hostile).
const MAX_SUFFIX = 999;

function candidate(logPath: string, n: number): string {
  if (n === 0) return logPath;
  const base = logPath.endsWith(".log") ? logPath.slice(0, -4) : logPath;
  return `${base}-${n}.log`;
}

/**
 * Create a new log file for one run: Ganeti's name, or `<base>-1.log`, `-2`, ... when it is taken (Ganeti
 * names are unique only to the second). Opened O_EXCL so that two runs, or a planted symlink, never share it;
 * O_APPEND like Ganeti's open(..., "a"); mode 0600, what Ganeti's umask 077 gives. Creates the directory
 * (0750, like ensure-dirs) when missing.
 */
export async function openLogFile(logPath: string): Promise<{ path: string; fd: number }> {
  const dir = path.dirname(logPath);
  try {
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o750 });
  } catch (err) {
    throw new GuestosError("LOG_OPEN", `Cannot create log directory "${dir}": ${errnoName(err)}`, {
      cause: err,
    });
  }
  const { O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW } = fs.constants;
  for (let n = 0; n <= MAX_SUFFIX; n++) {
    const p = candidate(logPath, n);
    try {
      const fd = await openFd(p, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW, 0o600);
      return { path: p, fd };
    } catch (err) {
      if (errnoName(err) === "EEXIST") continue;
      throw new GuestosError("LOG_OPEN", `Cannot open log file "${p}": ${errnoName(err)}`, { cause: err });
    }
  }
  throw new GuestosError(
    "LOG_OPEN",
    `Cannot open log file "${logPath}": it and ${MAX_SUFFIX} suffixed variants already exist`,
  );
}

/** Open an existing or new log file for appending at exactly this path (Ganeti's own behaviour). */
export async function openLogAppend(logPath: string): Promise<number> {
  try {
    return await openFd(logPath, "a", 0o600);
  } catch (err) {
    throw new GuestosError("LOG_OPEN", `Cannot open log file "${logPath}": ${errnoName(err)}`, {
      cause: err,
    });
  }
}
