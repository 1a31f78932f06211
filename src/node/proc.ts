import { readdirSync, readFileSync } from "node:fs";

/*
 * A pid alone does not name a process: the kernel hands freed pids out again. A pid together with its start
 * time (field 22 of /proc/<pid>/stat, clock ticks since boot) does, for as long as the machine is up, so jobs
 * and process-group records keep both.
 */

/** The fields of /proc/<pid>/stat guestos uses. */
export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  pgrp: number;
  /** Field 22, kept as the kernel's decimal text (it can exceed 2^53 in theory). */
  startTime: string;
}

/** Parse the text of /proc/<pid>/stat; null when it is not one. */
export function parseProcStat(text: string): ProcStat | null {
  // "pid (comm) state ppid ...": comm is any 1-16 bytes, ")" and spaces included, so it ends at the LAST ")".
  const open = text.indexOf(" (");
  const close = text.lastIndexOf(")");
  if (open <= 0 || close < open + 2) return null;
  const pid = text.slice(0, open);
  if (!/^\d+$/.test(pid)) return null;
  // After ") " come fields 3 (state) onwards; field 22 is therefore the 20th.
  const fields = text.slice(close + 2).split(" ");
  const [state, ppid, pgrp] = fields;
  const startTime = fields[19];
  if (
    !state ||
    !startTime ||
    !/^\d+$/.test(startTime) ||
    !/^\d+$/.test(ppid ?? "") ||
    !/^\d+$/.test(pgrp ?? "")
  ) {
    return null;
  }
  return {
    pid: Number(pid),
    comm: text.slice(open + 2, close),
    state,
    ppid: Number(ppid),
    pgrp: Number(pgrp),
    startTime,
  };
}

/** Read /proc/<pid>/stat; null when there is no such process (or no /proc). */
export function readProcStat(pid: number): ProcStat | null {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  return parseProcStat(text);
}

/** The start time of process `pid` (field 22 of /proc/<pid>/stat), or null when there is no such process. */
export function processStartTime(pid: number): string | null {
  return readProcStat(pid)?.startTime ?? null;
}

/**
 * True when process `pid` exists, is not a zombie, and (when `startTime` is known) started at `startTime`:
 * a pid reused by another process is not "alive" for the record that names the old one.
 */
export function isProcessAlive(pid: number | null, startTime: string | null): boolean {
  if (pid === null) return false;
  const stat = readProcStat(pid);
  if (stat === null || stat.state === "Z" || stat.state === "X") return false;
  return startTime === null || stat.startTime === startTime;
}

let self: { pid: number; pidStart: string | null } | undefined;

/** This process's pid and start time, as jobs record them. */
export function selfIdentity(): { pid: number; pidStart: string | null } {
  self ??= { pid: process.pid, pidStart: processStartTime(process.pid) };
  return { ...self };
}

/** The pids of the non-zombie processes whose process group is `pgid`. */
export function groupMembers(pgid: number): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X") out.push(stat.pid);
  }
  return out;
}
