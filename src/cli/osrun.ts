import { readFile } from "node:fs/promises";
import { GuestosError } from "../errors.js";
import { parseInstanceSpec, type ScriptKind } from "../env/index.js";
import { osLogDir, resolveHome } from "../node/home.js";
import { findOs, searchPathFrom } from "../osdef/index.js";
import { planScript, runPlanned, type ScriptPlan } from "../run/planned.js";
import type { CommandResult } from "./output.js";

export type Runnable = "create" | "rename" | "import" | "export" | "verify";

/** Options of `guestos os run`. */
export interface OsRunOptions {
  instance: string;
  disk?: number | undefined;
  oldName?: string | undefined;
  reinstall?: boolean | undefined;
  dryRun?: boolean | undefined;
  json?: boolean | undefined;
  searchPath?: string | undefined;
  logDir?: string | undefined;
  home?: string | undefined;
  timeout?: number | undefined;
}

async function readSpec(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8")) as unknown;
  } catch (err) {
    throw new GuestosError("SPEC_INVALID", `Cannot read instance spec "${file}": ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** `guestos os run SCRIPT --instance FILE`: runs one OS script exactly as a Ganeti node would. */
export async function osRun(script: Runnable, opts: OsRunOptions): Promise<CommandResult> {
  const spec = parseInstanceSpec(await readSpec(opts.instance), { source: opts.instance });
  const os = await findOs(spec.os, searchPathFrom({ flag: opts.searchPath }));
  const kind: ScriptKind = script === "create" && opts.reinstall ? "reinstall" : script;
  const plan = planScript(kind, os, spec, {
    logDir: opts.logDir ?? osLogDir(resolveHome({ flag: opts.home })),
    disk: opts.disk,
    oldName: opts.oldName,
  });
  if (opts.dryRun) {
    const { kind: _k, ...shown } = plan;
    return opts.json ? { json: shown } : { lines: dryRunText(plan) };
  }
  const streams = kind === "import" || kind === "export";
  const res = await runPlanned(plan, {
    // import reads the disk stream on our stdin, export writes it to our stdout: the script gets the fds.
    ...(kind === "import" ? { stdin: 0 } : {}),
    ...(kind === "export" ? { stdout: 1 } : {}),
    timeoutMs: opts.timeout ? opts.timeout * 1000 : undefined,
  });
  const summary = {
    script: kind,
    exitCode: res.exitCode,
    logFile: res.logFile,
    ...(streams ? { size: res.expSize } : {}),
    ...(kind === "verify" ? { output: res.output } : {}),
  };
  if (streams) {
    // stdout carries the disk stream, so the report goes to stderr.
    process.stderr.write((opts.json ? JSON.stringify(summary) : summaryText(summary).join("\n")) + "\n");
    return {};
  }
  return opts.json ? { json: summary } : { lines: summaryText(summary) };
}

function dryRunText(p: ScriptPlan): string[] {
  return [
    `script: ${p.script}`,
    `argv: ${JSON.stringify(p.argv)}`,
    `cwd: ${p.cwd}`,
    `log file: ${p.logFile ?? "(none: output is captured)"}`,
    "environment:",
    ...Object.entries(p.env).map(([k, v]) => `  ${k}=${v}`),
  ];
}

function summaryText(s: {
  script: string;
  exitCode: number | null;
  logFile: string | null;
  size?: number | null;
  output?: string;
}): string[] {
  const lines = [`${s.script}: success (exit code ${s.exitCode})`];
  if (s.logFile) lines.push(`log: ${s.logFile}`);
  if (s.size !== undefined && s.size !== null) lines.push(`size reported on EXP_SIZE_FD: ${s.size} bytes`);
  if (s.output) lines.push(`output: ${s.output.replace(/\n$/, "")}`);
  return lines;
}
