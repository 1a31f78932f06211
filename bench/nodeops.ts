/**
 * Cost of `instance add` + `instance remove` for a trivial OS against running the same create script
 * directly, all measured in one run: through the CLI (one process per operation, start-up included),
 * through the ops API in one process, and with 4 operations in parallel.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openNode } from "../src/node/index.js";
import { addInstance, removeInstance, type AddRequest } from "../src/ops/index.js";
import { CLI } from "../test/interop/cli.js";

const N = 100;
const PARALLEL = 4;

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

async function trivialOs(root: string): Promise<string> {
  const dir = join(root, "os", "trivial");
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, "ganeti_api_version"), "10\n");
  for (const s of ["create", "export", "import", "rename"]) {
    await writeFile(join(dir, s), "#!/bin/sh\nexit 0\n");
    await chmod(join(dir, s), 0o755);
  }
  return join(root, "os");
}

function run(argv: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"], env });
  if (r.status !== 0)
    throw new Error(`${argv.join(" ")} failed (${r.status ?? r.signal}): ${r.stderr.toString()}`);
}

function runAsync(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "inherit"], env });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${argv.join(" ")}: exit ${code}`)),
    );
  });
}

/** Seconds for `count` items done by `workers` concurrent loops of `fn(i)`. */
async function pool(count: number, workers: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const t0 = now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < count) await fn(next++);
    }),
  );
  return now() - t0;
}

const request = (name: string): AddRequest => ({
  name,
  os: "trivial",
  template: "file",
  disks: [{ index: 0, size: 4, adopt: null, mode: "rw", name: null }],
  nics: [{ index: 0, mac: "auto", ip: null, mode: null, link: null, vlan: null, name: null, network: null }],
});

/** Run the node operations benchmark and print its figures. */
export async function benchNodeOps(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "guestos-bench-node-"));
  try {
    const search = await trivialOs(root);
    const script = join(search, "trivial", "create");
    const env = { ...process.env, GUESTOS_OS_SEARCH_PATH: search, GUESTOS_HOME: join(root, "cli-home") };
    const cli = (args: string[]) => [process.execPath, CLI, ...args];
    const add = (i: number) =>
      cli(["instance", "add", "-o", "trivial", "--disk", "0:size=4M", `b${i}.example.com`]);
    const remove = (i: number) => cli(["instance", "remove", "-f", `b${i}.example.com`]);
    run(add(-1), env); // warm-up: creates the store
    run(remove(-1), env);

    // Baseline: the same create script, spawned directly, once per instance.
    let t0 = now();
    for (let i = 0; i < N; i++) run([script], {});
    const bare = now() - t0;

    t0 = now();
    for (let i = 0; i < N; i++) {
      run(add(i), env);
      run(remove(i), env);
    }
    const viaCli = now() - t0;

    const apiHome = join(root, "api-home");
    await mkdir(apiHome, { recursive: true });
    await writeFile(join(apiHome, "config.json"), JSON.stringify({ searchPath: [search] }));
    const node = await openNode(apiHome);
    try {
      await addInstance(node, request("warm.example.com"));
      await removeInstance(node, { name: "warm.example.com" });
      t0 = now();
      for (let i = 0; i < N; i++) {
        await addInstance(node, request(`a${i}.example.com`));
        await removeInstance(node, { name: `a${i}.example.com` });
      }
      const viaApi = now() - t0;
      const apiParallel = await pool(N, PARALLEL, async (i) => {
        await addInstance(node, request(`p${i}.example.com`));
        await removeInstance(node, { name: `p${i}.example.com` });
      });
      const bareParallel = await pool(N, PARALLEL, () => runAsync([script], {}));
      const cliParallel = await pool(N, PARALLEL, async (i) => {
        await runAsync(add(1000 + i), env);
        await runAsync(remove(1000 + i), env);
      });

      const ops = 2 * N; // one add and one remove per instance
      const perOp = (total: number) => (((total - bare) / ops) * 1000).toFixed(1);
      const perOpPar = (total: number) => (((total - bareParallel) / ops) * 1000).toFixed(1);
      console.log(
        `node ops: ${N} instance add + remove (trivial OS, file disk) vs the create script run directly`,
      );
      console.log(`  baseline: ${N} direct runs of the create script ${(bare * 1000).toFixed(0)} ms`);
      console.log(
        `  CLI, one process per operation: ${(viaCli * 1000).toFixed(0)} ms, ratio ${(viaCli / bare).toFixed(1)}x, ` +
          `overhead ${perOp(viaCli)} ms per operation (budget 150)`,
      );
      console.log(
        `  ops API in one process: ${(viaApi * 1000).toFixed(0)} ms, ratio ${(viaApi / bare).toFixed(2)}x, ` +
          `overhead ${perOp(viaApi)} ms per operation (budget 10)`,
      );
      console.log(
        `  ${PARALLEL} in parallel: baseline ${(bareParallel * 1000).toFixed(0)} ms; ` +
          `API ${(apiParallel * 1000).toFixed(0)} ms (${perOpPar(apiParallel)} ms/op over baseline, ` +
          `speed-up ${(viaApi / apiParallel).toFixed(2)}x vs serial); ` +
          `CLI ${(cliParallel * 1000).toFixed(0)} ms (${perOpPar(cliParallel)} ms/op, ` +
          `speed-up ${(viaCli / cliParallel).toFixed(2)}x vs serial)`,
      );
    } finally {
      node.close();
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
