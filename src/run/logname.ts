import path from "node:path";

import { GuestosError } from "../errors.js";

/** The operations that write an OS log, as Ganeti names them (`add` covers create and reinstall). */
export type LogKind = "add" | "rename" | "import" | "export";

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/** Ganeti's utils.TimestampForFilename: time.strftime("%Y-%m-%d_%H_%M_%S") in local time. */
export function timestampForFilename(now: Date = new Date()): string {
  return (
    `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}` +
    `_${pad(now.getHours())}_${pad(now.getMinutes())}_${pad(now.getSeconds())}`
  );
}

/**
 * Ganeti's _InstanceLogName: `<dir>/<kind>-<os>-<instance>[-<component>]-<timestamp>.log`. An empty component
 * counts as none, as upstream's `if component:` does.
 */
export function instanceLogName(
  kind: LogKind,
  osName: string,
  instanceName: string,
  opts: { dir: string; component?: string | undefined; now?: Date | undefined },
): string {
  const component = opts.component ?? "";
  // Upstream asserts this only for the component; the other parts come from the instance spec, and a "/" in
  // any of them would put the log outside the log directory.
  for (const [what, value] of [
    ["component", component],
    ["OS name", osName],
    ["instance name", instanceName],
  ] as const) {
    if (value.includes("/") || value.includes("\0")) {
      throw new GuestosError(
        "BAD_LOG_NAME",
        `Cannot name the log file for ${what} "${value}": it must not contain "/" or NUL`,
      );
    }
  }
  const suffix = component ? `-${component}` : "";
  const base = `${kind}-${osName}-${instanceName}${suffix}-${timestampForFilename(opts.now)}.log`;
  return path.join(opts.dir, base);
}
