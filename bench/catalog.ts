/**
 * Discovery and validation of OS definitions against Ganeti's own DiagnoseOS on the same tree, in the same
 * run: in-process (the catalog call alone vs the DiagnoseOS call alone, warm cache) and whole-process
 * (`guestos os diagnose --json` vs a Python script calling DiagnoseOS), and growth over 10/100/1000 OSes.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { diagnose } from "../src/osdef/index.js";
import { CLI } from "../test/interop/cli.js";
import { ratio, timeIt, timeProcess } from "./stats.js";
import { buildBenchTree } from "./tree.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const PY = "/usr/bin/python3";
const GANETI_SCRIPT = join(here, "ganeti_diagnose.py");

function ganetiInProcess(dir: string, repeats: number): number {
  const r = spawnSync(PY, [GANETI_SCRIPT, "inproc", dir, String(repeats)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`Ganeti baseline failed: ${r.stderr}`);
  return Number(r.stdout.trim());
}

/** Run the catalog benchmark and print its ratios. */
export async function benchCatalog(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "guestos-bench-catalog-"));
  try {
    console.log("catalog: discovery + validation, ratio = Ganeti time / guestos time (higher is better)");
    for (const valid of [10, 100, 1000]) {
      const dir = join(root, `n${valid}`);
      await buildBenchTree(dir, valid, valid / 10);
      const repeats = valid >= 1000 ? 15 : 40;
      const ours = await timeIt(repeats, () => diagnose([dir]));
      const theirs = ganetiInProcess(dir, repeats);
      const entries = valid + valid / 10;
      console.log(
        `  in-process ${entries} entries: guestos ${(ours * 1000).toFixed(1)} ms, Ganeti ${(theirs * 1000).toFixed(1)} ms, ` +
          `ratio ${ratio(theirs, ours)} (${((ours / entries) * 1e6).toFixed(1)} us/entry)`,
      );
      if (valid === 1000) {
        const oursP = timeProcess(
          7,
          [process.execPath, CLI, "os", "diagnose", "--json", "--search-path", dir],
          [1],
        );
        const theirsP = timeProcess(21, [PY, GANETI_SCRIPT, "once", dir]);
        console.log(
          `  whole-process ${entries} entries: guestos ${(oursP * 1000).toFixed(0)} ms, Ganeti ${(theirsP * 1000).toFixed(0)} ms, ` +
            `ratio ${ratio(theirsP, oursP)}`,
        );
      }
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
