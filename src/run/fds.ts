import { spawn } from "node:child_process";
import fs from "node:fs";

/*
 * Ganeti's RunCmd (subprocess, close_fds=True) gives a script only fds 0-2. libuv closes nothing in the
 * child: it relies on close-on-exec, which Node sets on every fd it opens. What can leak is an fd this
 * process itself inherited without close-on-exec (from a shell's `3>file`, a supervisor, a CI harness), and
 * Node has no fcntl to mark it. /proc/self/fdinfo cannot tell reliably (its flags show O_CLOEXEC when the
 * file was opened with it, even after a dup2 cleared it), so a probe child shows what a child inherits: a
 * `sleep` is started (spawn returns after its exec), its fds ≥ 3 that are the very same files as ours (same
 * device and inode) are the leaks, and they are closed here once, before the first script runs. Spared: the
 * IPC channel of a forked Node process and systemd's socket-activation fds (LISTEN_FDS).
 */

const O_CLOEXEC = 0o2000000;
const SLEEP = ["/usr/bin/sleep", "/bin/sleep"].find((p) => fs.existsSync(p));

let done = false;

function spared(): Set<number> {
  const keep = new Set<number>([0, 1, 2]);
  const channelFd = (process as { channel?: { fd?: unknown } }).channel?.fd;
  if (typeof channelFd === "number") keep.add(channelFd);
  const listenFds = Number(process.env.LISTEN_FDS);
  if (process.env.LISTEN_PID === String(process.pid) && Number.isInteger(listenFds)) {
    for (let fd = 3; fd < 3 + Math.min(listenFds, 1024); fd++) keep.add(fd);
  }
  return keep;
}

function listFds(dir: string): number[] {
  return fs
    .readdirSync(dir)
    .map(Number)
    .filter((fd) => Number.isInteger(fd) && fd >= 3);
}

/** What a probe child inherited that is one of our own fds; null when no probe could run. */
function probe(): number[] | null {
  if (!SLEEP) return null;
  let child;
  try {
    child = spawn(SLEEP, ["1000"], { stdio: "ignore", env: {} });
  } catch {
    return null;
  }
  try {
    const pid = child.pid;
    if (pid === undefined) return null;
    const out: number[] = [];
    for (const fd of listFds(`/proc/${pid}/fd`)) {
      try {
        // The loader may hold a file of its own open for a moment; only the same file as ours counts.
        const theirs = fs.statSync(`/proc/${pid}/fd/${fd}`);
        const ours = fs.fstatSync(fd);
        if (theirs.dev === ours.dev && theirs.ino === ours.ino) out.push(fd);
      } catch {
        // closed meanwhile, or not ours
      }
    }
    return out;
  } catch {
    return null;
  } finally {
    child.on("error", () => {});
    child.kill("SIGKILL");
    child.unref();
  }
}

/** Fallback without a probe: fds whose fdinfo shows no O_CLOEXEC at all. */
function fdinfoGuess(): number[] {
  const out: number[] = [];
  for (const fd of listFds("/proc/self/fdinfo")) {
    try {
      const flags = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
      if (flags && (parseInt(flags[1]!, 8) & O_CLOEXEC) === 0) out.push(fd);
    } catch {
      // the directory fd readdir used, or closed meanwhile
    }
  }
  return out;
}

/** The fds ≥ 3 of this process that a spawned child would inherit, minus the spared ones. */
export function inheritableFds(): number[] {
  let found: number[];
  try {
    found = probe() ?? fdinfoGuess();
  } catch {
    return []; // no /proc: nothing can be checked
  }
  const keep = spared();
  return found.filter((fd) => !keep.has(fd)).sort((a, b) => a - b);
}

/**
 * Close the fds this process inherited without close-on-exec, so that scripts see only 0-2 like Ganeti's.
 * Runs once per process (on the first script run); returns the fds it closed.
 */
export function closeInheritedFds(): number[] {
  if (done) return [];
  done = true;
  const fds = inheritableFds();
  for (const fd of fds) {
    try {
      fs.closeSync(fd);
    } catch {
      // gone already
    }
  }
  return fds;
}
