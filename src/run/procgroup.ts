import fs from "node:fs";

/*
 * A script runs as the leader of its own process group (setsid), so stopping it means signalling the whole
 * group: a child it left running (`sleep 1000 &`) dies with it. "Alive" ignores zombies: orphans are reaped by
 * PID 1, and where PID 1 does not reap (some containers) a dead member would otherwise look alive forever.
 */

function errCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/** Send `signal` to every process of the group; false when the group is already empty. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (err) {
    if (errCode(err) === "ESRCH") return false;
    throw err;
  }
}

/** The pids of the group's members that are not zombies (read from /proc). */
export function liveGroupMembers(pgid: number): number[] {
  if (!signalGroup(pgid, 0)) return [];
  const out: number[] = [];
  let names: string[];
  try {
    names = fs.readdirSync("/proc");
  } catch {
    return [pgid]; // no /proc: trust kill(0)
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, "latin1");
    } catch {
      continue;
    }
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const state = fields[0];
    if (Number(fields[2]) === pgid && state !== "Z" && state !== "X") out.push(Number(name));
  }
  return out;
}

/** True while any non-zombie process of the group exists. */
export function groupAlive(pgid: number): boolean {
  return liveGroupMembers(pgid).length > 0;
}
