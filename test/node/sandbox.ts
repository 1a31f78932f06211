/**
 * A throwaway node for whole-process fault tests: a temp root holding the guestos home, an OS search dir
 * with OS definitions written per test, and flag files the scripts poll. Cleanup kills what the tests
 * started, detaches loop devices backed by files under the root, unmounts mounts under it, removes it.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { CLI, type CliResult } from "../interop/cli.js";

const run = promisify(execFile);

// GUESTOS_TEST_CLI runs another build of the CLI (a private one while dist/ is being rebuilt).
const GUESTOS_CLI = process.env.GUESTOS_TEST_CLI || CLI;

/** True when this process may attach loop devices and mount (the fault tests need both). */
export const IS_ROOT = process.getuid?.() === 0;

/** Single-quote `s` for /bin/sh. */
export function sq(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** /proc/<pid>/stat's state and start time; null when there is no such process. */
function procStat(pid: number): { state: string; pgrp: number; start: string } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "latin1");
  } catch {
    return null;
  }
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  return { state: fields[0]!, pgrp: Number(fields[2]), start: fields[19]! };
}

/** True when `pid` has exited (no such process, or a zombie nobody reaped: PID 1 here may not reap). */
export function isGone(pid: number): boolean {
  const st = procStat(pid);
  return st === null || st.state === "Z" || st.state === "X";
}

/** The live (non-zombie) members of process group `pgid`. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const st = procStat(Number(name));
    if (st && st.pgrp === pgid && st.state !== "Z" && st.state !== "X") out.push(Number(name));
  }
  return out;
}

/** Poll `cond` every 50 ms until it holds; fail after a generous deadline (never a timing assertion). */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  ms = 60_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The loop devices backed by `file` (`losetup -j`). */
export async function loopsOf(file: string): Promise<string[]> {
  const { stdout } = await run("losetup", ["-j", file, "-n", "-O", "NAME"]);
  return stdout.split("\n").filter(Boolean);
}

/** `losetup -a` lines whose backing file is under `dir`. */
export async function loopsUnder(dir: string): Promise<{ name: string; file: string }[]> {
  const { stdout } = await run("losetup", ["-a", "-n", "-O", "NAME,BACK-FILE"]);
  return stdout
    .split("\n")
    .map((l) => /^(\S+)\s+(.*)$/.exec(l.trim()))
    .filter((m): m is RegExpExecArray => m !== null && m[2]!.startsWith(`${dir}/`))
    .map((m) => ({ name: m[1]!, file: m[2]! }));
}

/** Mount points at or under `dir` (findmnt), deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const { stdout } = await run("findmnt", ["-rn", "-o", "TARGET"]).catch(() => ({ stdout: "" }));
  return stdout
    .split("\n")
    .map((t) => t.replace(/\\x20/g, " "))
    .filter((t) => t === dir || t.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** A guestos process started directly, so that the test has its pid. */
export interface Spawned {
  child: ChildProcess;
  pid: number;
  done: Promise<CliResult>;
}

/** What `writeOs` puts in an OS directory besides the scripts that do nothing. */
export interface OsSpec {
  /** Body of the create script (after `#!/bin/sh`). */
  create: string;
  /** Body of verify; default accepts everything. */
  verify?: string;
  variants?: string[];
  params?: string[];
}

/** One test's node. */
export interface Sandbox {
  root: string;
  home: string;
  osDir: string;
  env: NodeJS.ProcessEnv;
  /** A path under the root (for flag and signal files). */
  path(name: string): string;
  /** `guestos ARGS` with this node's home and search path. */
  run(args: string[], opts?: { home?: string }): Promise<CliResult>;
  /** `guestos ARGS` as a child process the test can signal. */
  start(args: string[], opts?: { home?: string }): Spawned;
  /** Write (or rewrite) OS `name` in the search dir: API 20, verify, variants and parameters. */
  writeOs(name: string, spec: OsSpec): Promise<void>;
  /** Remember a process group the tests made (a script's) so cleanup can kill it if still there. */
  track(pgid: number): void;
  cleanup(): Promise<void>;
}

/** Make a sandbox under os.tmpdir(). */
export async function makeSandbox(prefix = "guestos-faults-"): Promise<Sandbox> {
  const root = await mkdtemp(join(tmpdir(), prefix));
  const home = join(root, "home");
  const osDir = join(root, "os");
  await mkdir(osDir);
  const env: NodeJS.ProcessEnv = { ...process.env, GUESTOS_HOME: home, GUESTOS_OS_SEARCH_PATH: osDir };
  const children: ChildProcess[] = [];
  const groups: { pgid: number; start: string }[] = [];
  const envFor = (h?: string): NodeJS.ProcessEnv => (h ? { ...env, GUESTOS_HOME: h } : env);

  const start = (args: string[], opts: { home?: string } = {}): Spawned => {
    const child = spawn(process.execPath, [GUESTOS_CLI, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: envFor(opts.home),
    });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<CliResult>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    return { child, pid: child.pid!, done };
  };

  return {
    root,
    home,
    osDir,
    env,
    path: (name) => join(root, name),
    run: (args, opts = {}) => start(args, opts).done,
    start,
    async writeOs(name, spec) {
      const dir = join(osDir, name);
      await mkdir(dir, { recursive: true });
      const scripts: Record<string, string> = {
        create: spec.create,
        export: "exit 0\n",
        import: "exit 0\n",
        rename: "exit 0\n",
        verify: spec.verify ?? "exit 0\n",
      };
      for (const [script, body] of Object.entries(scripts)) {
        await writeFile(join(dir, script), `#!/bin/sh\n${body}`);
        await chmod(join(dir, script), 0o755);
      }
      await writeFile(join(dir, "ganeti_api_version"), "20\n");
      await writeFile(join(dir, "variants.list"), (spec.variants ?? []).map((v) => `${v}\n`).join(""));
      await writeFile(join(dir, "parameters.list"), (spec.params ?? []).map((p) => `${p}\n`).join(""));
    },
    track(pgid) {
      const st = procStat(pgid);
      if (st) groups.push({ pgid, start: st.start });
    },
    async cleanup() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      for (const g of groups) {
        // Only a group whose leader is still the process we saw (or whose leader is gone, leaving members).
        const st = procStat(g.pgid);
        if (st && st.start !== g.start) continue;
        try {
          process.kill(-g.pgid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      for (const g of groups)
        await waitFor(`group ${g.pgid} to go`, () => groupMembers(g.pgid).length === 0, 10_000);
      for (const m of await mountsUnder(root)) await run("umount", [m]);
      for (const l of await loopsUnder(root)) await run("losetup", ["-d", l.name]);
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** Cleanup left nothing behind: no loop device backed by a file under `root`, no mount under it. */
export async function assertNothingLeft(root: string): Promise<void> {
  const loops = await loopsUnder(root);
  const mounts = await mountsUnder(root);
  if (loops.length > 0 || mounts.length > 0 || existsSync(root)) {
    throw new Error(
      `left behind under ${root}: ${JSON.stringify({ loops, mounts, exists: existsSync(root) })}`,
    );
  }
}

/** The one file in `dir`, e.g. an instance's only disk or the only OS log. */
export function onlyFile(dir: string): string {
  const names = readdirSync(dir);
  if (names.length !== 1) throw new Error(`expected one file in ${dir}, found ${JSON.stringify(names)}`);
  return join(dir, names[0]!);
}

/** No line of `stderr` looks like a JavaScript stack frame. */
export function hasStackTrace(stderr: string): boolean {
  return /^\s+at .+(\(|:\d+:\d+)/m.test(stderr);
}
