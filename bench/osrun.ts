/**
 * Overhead of `guestos os run` for a trivial script over a bare spawn of the same script, whole process
 * against whole process, measured in the same run.
 */
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI } from "../test/interop/cli.js";
import { timeProcess } from "./stats.js";

/** Run the `os run` overhead benchmark and print its figures. */
export async function benchOsRun(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "guestos-bench-run-"));
  try {
    const osdir = join(root, "os", "trivial");
    await mkdir(osdir, { recursive: true });
    await writeFile(join(osdir, "ganeti_api_version"), "10\n");
    for (const s of ["create", "export", "import", "rename"]) {
      await writeFile(join(osdir, s), "#!/bin/sh\nexit 0\n");
      await chmod(join(osdir, s), 0o755);
    }
    const spec = join(root, "instance.json");
    await writeFile(
      spec,
      JSON.stringify({
        name: "bench1.example.com",
        os: "trivial",
        disks: [{ path: join(root, "disk0"), size: 16 }],
      }),
    );
    const repeats = 15;
    const bare = timeProcess(repeats, [join(osdir, "create")]);
    const ours = timeProcess(repeats, [
      process.execPath,
      CLI,
      "os",
      "run",
      "create",
      "--instance",
      spec,
      "--search-path",
      join(root, "os"),
      "--log-dir",
      join(root, "log"),
    ]);
    const node = timeProcess(repeats, [process.execPath, "-e", ""]);
    console.log("os run: whole-process `guestos os run create` vs spawning the same script directly");
    console.log(
      `  bare spawn ${(bare * 1000).toFixed(1)} ms, guestos os run ${(ours * 1000).toFixed(1)} ms, ` +
        `overhead ${((ours - bare) * 1000).toFixed(1)} ms (node -e '' alone: ${(node * 1000).toFixed(1)} ms), ` +
        `ratio ${(ours / bare).toFixed(1)}x slower`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
