import { GuestosError } from "../errors.js";
// script.js and params.js, not the env index: the index loads zod (parseInstanceSpec), ~35 ms of start-up
// that instance commands do not need.
import type { ScriptKind } from "../env/params.js";
import { scriptEnv } from "../env/script.js";
import type { InstanceSpec } from "../env/spec.js";
import type { OsDefinition } from "../osdef/types.js";
import { scriptFailureMessage, verifyFailureMessage } from "./failure.js";
import { instanceLogName } from "./logname.js";
import { EXP_SIZE_FD, runScript, type RunOptions, type RunResult } from "./spawn.js";
import { tailLog } from "./tail.js";

/** Everything needed to run one OS script, computed before anything runs (what `--dry-run` prints). */
export interface ScriptPlan {
  kind: ScriptKind;
  script: string;
  argv: string[];
  cwd: string;
  /** The complete environment the script receives, EXP_SIZE_FD included for import/export. */
  env: Record<string, string>;
  /** null for verify, whose output is captured instead of logged. */
  logFile: string | null;
}

/** Options of planScript/runOsScript. */
export interface ScriptOptions {
  logDir: string;
  disk?: number | undefined;
  oldName?: string | undefined;
  now?: Date;
}

const LOG_KIND = {
  create: "add",
  reinstall: "add",
  rename: "rename",
  import: "import",
  export: "export",
} as const;

function scriptPath(os: OsDefinition, kind: ScriptKind): string {
  const key = kind === "reinstall" ? "create" : kind;
  const path = os.scripts[key];
  if (path) return path;
  const why =
    key === "create"
      ? "it has only create_untrusted (untrusted OSes are installed through a helper VM, which guestos does not run)"
      : "it declares API < 20, which has no verify script";
  throw new GuestosError("NO_SCRIPT", `Cannot run ${key} of OS "${os.name}": ${why}`);
}

/** Work out the script, argv, cwd, environment and log file of one run, as the Ganeti node would. */
export function planScript(
  kind: ScriptKind,
  os: OsDefinition,
  spec: InstanceSpec,
  opts: ScriptOptions,
): ScriptPlan {
  if (kind === "rename" && !opts.oldName) {
    throw new GuestosError("BAD_OPTION", `Cannot run rename for "${spec.name}": the old name is required`);
  }
  const perDisk = kind === "import" || kind === "export";
  const disk = perDisk ? (opts.disk ?? 0) : undefined;
  const env = scriptEnv(kind, os, spec, { disk, oldName: opts.oldName });
  if (perDisk) env.EXP_SIZE_FD = String(EXP_SIZE_FD);
  const script = scriptPath(os, kind);
  const logFile =
    kind === "verify"
      ? null
      : instanceLogName(
          LOG_KIND[kind],
          spec.os,
          kind === "rename" ? `${opts.oldName}-${spec.name}` : spec.name,
          {
            dir: opts.logDir,
            ...(perDisk ? { component: `disk${disk}` } : {}),
            ...(opts.now ? { now: opts.now } : {}),
          },
        );
  return {
    kind,
    script,
    argv: kind === "verify" ? [script, "parameters"] : [script],
    cwd: os.path,
    env,
    logFile,
  };
}

/** Streams and limits for one run; import reads `stdin`, export writes `stdout`. */
export interface ScriptIo {
  stdin?: RunOptions["stdin"];
  stdout?: RunOptions["stdout"];
  timeoutMs?: number | undefined;
  signal?: AbortSignal;
  /** Called with the script's pid (its process group id) as soon as it runs. */
  onSpawn?: (pid: number) => void;
  /** Called with the log file actually written, once the script has ended (before a failure is thrown). */
  onLogFile?: (path: string) => void;
}

/** Outcome of a successful run. */
export interface ScriptOutcome extends RunResult {
  logFile: string | null;
}

/**
 * Run a planned script. A failure throws GuestosError SCRIPT_FAILED with Ganeti's message (the escaped
 * tail of the log), or OS_VERIFY_FAILED with verify's output.
 */
export async function runPlanned(plan: ScriptPlan, io: ScriptIo = {}): Promise<ScriptOutcome> {
  const { EXP_SIZE_FD: _fd, ...env } = plan.env;
  const perDisk = plan.kind === "import" || plan.kind === "export";
  const res = await runScript({
    argv: plan.argv,
    cwd: plan.cwd,
    env,
    ...(plan.logFile ? { logFile: plan.logFile } : { capture: true }),
    stdin: io.stdin ?? (plan.kind === "export" ? "devnull" : "eof"),
    ...(io.stdout !== undefined ? { stdout: io.stdout } : {}),
    ...(perDisk ? { sizeFd: true } : {}),
    ...(io.timeoutMs ? { timeoutMs: io.timeoutMs } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
    ...(io.onSpawn ? { onSpawn: io.onSpawn } : {}),
  });
  const logFile = res.logFile ?? plan.logFile;
  if (logFile) io.onLogFile?.(logFile);
  if (!res.failed) return { ...res, logFile };
  if (plan.kind === "verify") {
    throw new GuestosError("OS_VERIFY_FAILED", verifyFailureMessage(res.failReason ?? "", res.output));
  }
  const tail = logFile ? await tailLog(logFile) : [];
  const label = plan.kind === "reinstall" ? "create" : plan.kind;
  throw new GuestosError("SCRIPT_FAILED", scriptFailureMessage(label, res.failReason ?? "", tail), {
    ...(logFile ? { hint: `the whole log is in ${logFile}` } : {}),
  });
}
