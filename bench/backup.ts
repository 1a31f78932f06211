/**
 * The backup data plane (src/backup dumpwrite/dumpread) against shell pipelines doing the same work, all
 * measured in one run on the same files: export and import with sha256, uncompressed and zstd, peak RSS of
 * an export at two sizes (constant memory), and the allocated size of the dump of a sparse disk.
 * Each pair runs warm (one untimed run of each side first), alternating, median of 3; outputs are deleted
 * and `sync`ed between runs so one run's writeback does not land in the next. Caches cannot be dropped here.
 */
import { spawnSync } from "node:child_process";
import { createCipheriv, randomBytes } from "node:crypto";
import fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ScriptPlan } from "../src/run/planned.js";
import { readDump } from "../src/backup/dumpread.js";
import type { Compression } from "../src/backup/dumptypes.js";
import { writeDump } from "../src/backup/dumpwrite.js";
import { median, ratio } from "./stats.js";

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const REPEATS = 3;
const DUMPWRITE = fileURLToPath(new URL("../src/backup/dumpwrite.ts", import.meta.url));

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Fill `path` with `size` bytes: AES-CTR keystream (incompressible), or half keystream, half text. */
function generate(path: string, size: number, kind: "random" | "half"): void {
  const cipher = createCipheriv("aes-128-ctr", randomBytes(16), randomBytes(16));
  const chunk = 4 * MiB;
  const zeros = Buffer.alloc(chunk);
  const text = Buffer.alloc(chunk / 2);
  const line = Buffer.from("guestos backup benchmark: half of every block is this compressible text. ");
  for (let i = 0; i < text.length; i += line.length) line.copy(text, i);
  const fd = fs.openSync(path, "w");
  try {
    for (let done = 0; done < size; done += chunk) {
      let block = cipher.update(zeros);
      if (kind === "half") block = Buffer.concat([block.subarray(0, chunk / 2), text]);
      fs.writeSync(fd, block, 0, Math.min(chunk, size - done));
    }
  } finally {
    fs.closeSync(fd);
  }
}

function bash(script: string, env: Record<string, string>): void {
  const r = spawnSync("/bin/bash", ["-o", "pipefail", "-c", script], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`baseline failed (${r.status ?? r.signal}): ${script}\n${r.stderr}`);
}

function settle(paths: string[]): void {
  for (const p of paths) fs.rmSync(p, { force: true });
  spawnSync("sync");
}

/** Median seconds of each side, warm (one untimed round first), the sides alternating within each round. */
async function alternate(outputs: string[], sides: (() => unknown)[]): Promise<number[]> {
  const times: number[][] = sides.map(() => []);
  for (let round = 0; round <= REPEATS; round++) {
    for (const [i, side] of sides.entries()) {
      settle(outputs);
      const t0 = now();
      await side();
      if (round > 0) times[i]!.push(now() - t0);
    }
  }
  settle(outputs);
  return times.map(median);
}

const secs = (s: number): string => `${s.toFixed(2)} s`;
const rate = (bytes: number, s: number): string => `${(bytes / MiB / s).toFixed(0)} MiB/s`;

/** Peak RSS (KiB) of a child node process running one writeDump. */
function exportRss(plan: ScriptPlan, dumpPath: string, compression: Compression): number {
  const code = `
    const { writeDump } = await import(process.argv[1]);
    await writeDump(JSON.parse(process.argv[2]));
    process.stdout.write(String(process.resourceUsage().maxRSS));`;
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "--input-type=module",
      "-e",
      code,
      DUMPWRITE,
      JSON.stringify({ plan, dumpPath, compression }),
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  if (r.status !== 0) throw new Error(`RSS child failed: ${r.stderr}`);
  return Number(r.stdout);
}

function idleRss(): number {
  const code = `await import(process.argv[1]); process.stdout.write(String(process.resourceUsage().maxRSS));`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code, DUMPWRITE], {
    encoding: "utf8",
  });
  return Number(r.stdout);
}

/** Run the backup data-plane benchmark and print its ratios. */
export async function benchBackup(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), "guestos-bench-backup-"));
  try {
    // Peak use: the 2+2 GiB inputs, the 1+4 GiB RSS inputs, one 4 GiB dump and one 2 GiB import target.
    const st = fs.statfsSync(root);
    const free = st.bavail * st.bsize;
    let unit = GiB;
    while (unit > 64 * MiB && free < 18 * unit) unit /= 2;
    if (unit < GiB) {
      console.log(
        `backup: only ${(free / GiB).toFixed(1)} GiB free in ${tmpdir()}: sizes scaled down ${GiB / unit}x ` +
          `(the figures below are for ${unit / MiB} MiB where a GiB is written)`,
      );
    }
    const osdir = join(root, "os");
    fs.mkdirSync(osdir);
    const exportScript = join(osdir, "export");
    const importScript = join(osdir, "import");
    fs.writeFileSync(exportScript, '#!/bin/sh\nexec cat "$EXPORT_DEVICE"\n', { mode: 0o755 });
    fs.writeFileSync(importScript, '#!/bin/sh\nexec cat > "$IMPORT_DEVICE"\n', { mode: 0o755 });
    let seq = 0;
    const plan = (kind: "export" | "import", device: string): ScriptPlan => {
      const prefix = kind === "export" ? "EXPORT" : "IMPORT";
      const script = kind === "export" ? exportScript : importScript;
      return {
        kind,
        script,
        argv: [script],
        cwd: osdir,
        env: {
          PATH: "/usr/bin:/bin",
          [`${prefix}_DEVICE`]: device,
          [`${prefix}_INDEX`]: "0",
          EXP_SIZE_FD: "3",
        },
        logFile: join(root, `${kind}-${++seq}.log`),
      };
    };

    const random = join(root, "random");
    const half = join(root, "half");
    const size = 2 * unit;
    let t0 = now();
    generate(random, size, "random");
    generate(half, size, "half");
    console.log(
      `backup: export/import of ${size / MiB} MiB through a cat-style OS script, ratio = baseline time / guestos ` +
        `time (higher is better; data generated in ${secs(now() - t0)})`,
    );
    const dump = join(root, "dump");
    const out = join(root, "out");
    const base = { S: exportScript, EXPORT_DEVICE: random, OUT: dump };

    // Export, uncompressed.
    const [plainBase, teeBase, expOurs] = await alternate(
      [dump],
      [
        () => bash('"$S" > "$OUT"', base),
        () => bash('"$S" | tee "$OUT" | openssl dgst -sha256 >/dev/null', base),
        () => writeDump({ plan: plan("export", random), dumpPath: dump, compression: "none" }),
      ],
    );
    console.log(
      `  export none: \`script | tee file | openssl dgst -sha256\` ${secs(teeBase!)}, guestos ${secs(expOurs!)} ` +
        `(${rate(size, expOurs!)}), ratio ${ratio(teeBase!, expOurs!)} (target >= 0.90); ` +
        `no-checksum limit \`script > file\` ${secs(plainBase!)}, ratio ${ratio(plainBase!, expOurs!)}`,
    );

    // Import, uncompressed: the dump is the random file itself (a dump is the script's output as is).
    const written = await writeDump({ plan: plan("export", random), dumpPath: dump, compression: "none" });
    const [impBase, impOurs] = await alternate(
      [out],
      [
        () =>
          bash('tee >(openssl dgst -sha256 >/dev/null) < "$IN" | "$S"', {
            S: importScript,
            IN: dump,
            IMPORT_DEVICE: out,
          }),
        () =>
          readDump({
            plan: plan("import", out),
            dumpPath: dump,
            compression: "none",
            sha256: written.sha256,
            bytes: written.bytes,
          }),
      ],
    );
    console.log(
      `  import none: \`tee >(openssl dgst -sha256) < file | script\` ${secs(impBase!)}, guestos ${secs(impOurs!)} ` +
        `(${rate(size, impOurs!)}, sha256 verified), ratio ${ratio(impBase!, impOurs!)} (target >= 0.90)`,
    );
    settle([dump]);

    // zstd, half-compressible data.
    const zbase = { S: exportScript, EXPORT_DEVICE: half, OUT: dump };
    const [zBase, zBaseT0, zOurs] = await alternate(
      [dump],
      [
        () => bash('"$S" | zstd -1 -q | tee "$OUT" | openssl dgst -sha256 >/dev/null', zbase),
        () => bash('"$S" | zstd -1 -T0 -q | tee "$OUT" | openssl dgst -sha256 >/dev/null', zbase),
        () => writeDump({ plan: plan("export", half), dumpPath: dump, compression: "zstd" }),
      ],
    );
    const zw = await writeDump({ plan: plan("export", half), dumpPath: dump, compression: "zstd" });
    console.log(
      `  export zstd (dump ${((100 * zw.bytes) / size).toFixed(0)}% of the data): ` +
        `\`script | zstd -1 | tee file | openssl dgst -sha256\` ${secs(zBase!)}, guestos (zstd -1 -T0) ` +
        `${secs(zOurs!)}, ratio ${ratio(zBase!, zOurs!)} (target >= 0.90); ` +
        `same baseline with zstd -T0 ${secs(zBaseT0!)}, ratio ${ratio(zBaseT0!, zOurs!)}`,
    );
    const [zimpBase, zimpOurs] = await alternate(
      [out],
      [
        () =>
          bash('tee >(openssl dgst -sha256 >/dev/null) < "$IN" | zstd -d -q | "$S"', {
            S: importScript,
            IN: dump,
            IMPORT_DEVICE: out,
          }),
        () =>
          readDump({
            plan: plan("import", out),
            dumpPath: dump,
            compression: "zstd",
            sha256: zw.sha256,
            bytes: zw.bytes,
          }),
      ],
    );
    console.log(
      `  import zstd: \`tee >(openssl dgst -sha256) < file | zstd -d | script\` ${secs(zimpBase!)}, ` +
        `guestos ${secs(zimpOurs!)}, ratio ${ratio(zimpBase!, zimpOurs!)} (for the record)`,
    );
    settle([dump, out, half]);

    // Peak RSS at two sizes: the same, far below the data size.
    fs.rmSync(random);
    const rss: Record<string, number> = {};
    for (const gib of [1, 4]) {
      const input = join(root, `rss-${gib}`);
      generate(input, gib * unit, "random");
      for (const compression of ["none", "zstd"] as const) {
        settle([dump]);
        rss[`${compression}-${gib}`] = exportRss(plan("export", input), dump, compression) / 1024;
      }
      settle([dump, input]);
    }
    const idle = idleRss() / 1024;
    const rssLine = (c: string): string => {
      const small = rss[`${c}-1`]!;
      const big = rss[`${c}-4`]!;
      const diff = (100 * Math.abs(big - small)) / small;
      return `${c} ${small.toFixed(0)} / ${big.toFixed(0)} MiB (${diff.toFixed(1)}% apart)`;
    };
    console.log(
      `  peak RSS of a whole export process, ${unit / MiB} MiB / ${(4 * unit) / MiB} MiB of data: ` +
        `${rssLine("none")}, ${rssLine("zstd")} (targets: within 10%, under 150 MiB; ` +
        `the same process only loading the module: ${idle.toFixed(0)} MiB)`,
    );

    // A sparse 8 GiB disk holding 128 MiB of data.
    const sparse = join(root, "sparse");
    const sparseSize = 8 * unit;
    const dataBytes = sparseSize / 64;
    const fd = fs.openSync(sparse, "w");
    fs.ftruncateSync(fd, sparseSize);
    const piece = dataBytes / 16;
    for (let i = 0; i < 16; i++) fs.writeSync(fd, randomBytes(piece), 0, piece, (i * sparseSize) / 16);
    fs.closeSync(fd);
    settle([dump]);
    t0 = now();
    bash('"$S" > "$OUT"', { S: exportScript, EXPORT_DEVICE: sparse, OUT: dump });
    const plainTook = now() - t0;
    settle([dump]);
    t0 = now();
    const sw = await writeDump({ plan: plan("export", sparse), dumpPath: dump, compression: "none" });
    const took = now() - t0;
    const allocated = fs.statSync(dump).blocks * 512;
    settle([dump, sparse]);
    console.log(
      `  sparse ${sparseSize / GiB} GiB disk with ${dataBytes / MiB} MiB of data: uncompressed dump allocates ` +
        `${(allocated / MiB).toFixed(1)} MiB (target < ${(200 * unit) / GiB} MiB), sparse=${sw.sparse}, ` +
        `export ${secs(took)} (one run; \`script > file\`, which writes every zero: ${secs(plainTook)})`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
