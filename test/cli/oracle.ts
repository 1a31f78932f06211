import { execFileSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";
import { GANETI_PYTHON, requireGaneti } from "../interop/ganeti.js";

/** Ganeti's answer to one rendering case (see oracle/gnt_render.py), or the upstream crash. */
export interface RenderAnswer {
  exitCode?: number;
  lines?: string[];
  stderr?: string[];
  error?: string;
}

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "oracle", "gnt_render.py");

/**
 * Ganeti's own output for each case (one Python process for the batch), or null when Ganeti is not
 * installed (the test is then skipped, or fails on CI).
 */
export function ganetiRender(t: TestContext, cases: readonly object[]): RenderAnswer[] | null {
  if (!requireGaneti(t)) return null;
  const out = execFileSync(GANETI_PYTHON, [SCRIPT], { input: JSON.stringify(cases), maxBuffer: 64 << 20 });
  return JSON.parse(out.toString()) as RenderAnswer[];
}
