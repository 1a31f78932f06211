/**
 * `guestos backup export|import|list|info|remove` as whole processes, each test on its own node: round
 * trips of random data through a `cat` OS for every compression and 1-3 disks (checked byte for byte, on
 * the export's layout, checksums and holes), atomic re-export, bad exports and failing scripts with their
 * exact errors, and guestos killed with SIGKILL in the middle of an export and of an import.
 */
import { afterEach, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { chmod, open, readFile, rm, truncate, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import type { CliResult } from "../interop/cli.js";
import {
  assertNothingLeft,
  groupMembers,
  hasStackTrace,
  isGone,
  loopsUnder,
  makeSandbox,
  sq,
  waitFor,
  type Sandbox,
  type Spawned,
} from "./sandbox.js";

const sh = promisify(execFile);
const HOST = hostname();
const MiB = 1024 * 1024;
const COMPRESSIONS = ["none", "gzip", "zstd"] as const;
type Compression = (typeof COMPRESSIONS)[number];

/** cli.PollJob's `time.ctime(ts) + " "` in front of every progress line. */
const CTIME = /^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} /;

/** Progress lines without their ctime prefix, periodic transfer figures left out (their timing varies). */
function progress(stdout: string): string[] {
  return stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      assert.match(l, CTIME, `progress line without a ctime prefix: ${JSON.stringify(l)}`);
      return l.replace(CTIME, "");
    })
    .filter((l) => !/^disk\/\d+ sent /.test(l));
}

function ok(r: CliResult, what: string): void {
  assert.equal(r.code, 0, `${what} failed:\n${r.stderr}${r.stdout}`);
  assert.equal(r.stderr, "", `${what} wrote to stderr`);
}

/** A failure as people see it: exit 1, exactly `stderr`, no JavaScript stack. */
function failed(r: CliResult, stderr: string, what: string): void {
  assert.equal(r.code, 1, `${what}: ${JSON.stringify(r)}`);
  assert.equal(hasStackTrace(r.stderr), false, r.stderr);
  assert.equal(r.stderr, stderr, what);
}

const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");
const sha256File = async (path: string): Promise<string> => sha256(await readFile(path));

/** Every file and directory under `dir` (hidden ones included), each file with its sha256. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const rel = relative(dir, p);
      if (statSync(p).isDirectory()) {
        out[`${rel}/`] = "dir";
        walk(p);
      } else out[rel] = sha256(readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** Processes (other than this one) whose cwd or open files are under `dir`, deleted files included. */
function processesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    const links: string[] = [];
    try {
      links.push(readlinkSync(`/proc/${pid}/cwd`));
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          links.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      continue; // gone meanwhile
    }
    const hit = links.find((l) => l === dir || l.startsWith(`${dir}/`));
    if (hit) {
      let cmd = "";
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, "latin1").replaceAll("\0", " ").trim();
      } catch {
        // gone meanwhile
      }
      found.push(`${pid} (${cmd}) holds ${hit}`);
    }
  }
  return found;
}

/** `instance list` as `name|install` lines. */
async function installStates(sb: Sandbox): Promise<string> {
  const r = await sb.run(["instance", "list", "--no-headers", "--separator", "|", "-o", "name,install"]);
  ok(r, "instance list");
  return r.stdout;
}

/** `job list` as `id|status|summary` lines. */
async function jobRows(sb: Sandbox): Promise<string> {
  const r = await sb.run(["job", "list", "--no-headers", "--separator", "|", "-o", "id,status,summary"]);
  ok(r, "job list");
  return r.stdout;
}

/** The error a job recorded. */
async function jobError(sb: Sandbox, id: number): Promise<{ code: string; message: string }> {
  const r = await sb.run(["job", "list", "--json", String(id)]);
  ok(r, "job list --json");
  const [job] = JSON.parse(r.stdout) as { error: { code: string; message: string } }[];
  return { code: job!.error.code, message: job!.error.message };
}

/** An instance's disk files in disk order (`<uuid>.file.disk<N>`). */
function diskFiles(sb: Sandbox, name: string): string[] {
  const dir = join(sb.home, "file-storage", name);
  const index = (f: string): number => Number(/\.file\.disk(\d+)$/.exec(f)?.[1] ?? -1);
  return readdirSync(dir)
    .sort((a, b) => index(a) - index(b))
    .map((f) => join(dir, f));
}

/** The uuid a disk file is named by, which names its dump. */
const uuidOf = (file: string): string => /([0-9a-f-]{36})\.file\.disk\d+$/.exec(file)![1]!;

/** Bodies of the `cat` OS's scripts (after `#!/bin/bash`); every script records its run in `runs`. */
interface CatScripts {
  export?: string;
  import?: string;
}

/**
 * The `cat` OS: export is `cat "$EXPORT_DEVICE"`, import `cat > "$IMPORT_DEVICE"`, rename does nothing.
 * Every script appends a line to the sandbox's `runs` file first. Rewritten by tests that need another
 * behaviour (bash, for EXP_SIZE_FD above 9).
 */
async function catOs(sb: Sandbox, scripts: CatScripts = {}): Promise<void> {
  const runs = sq(sb.path("runs"));
  await sb.writeOs("cat", { create: `echo "create $INSTANCE_NAME" >> ${runs}\n` });
  const bodies: Record<string, string> = {
    export: `echo "export $INSTANCE_NAME $EXPORT_INDEX" >> ${runs}\n${scripts.export ?? 'exec cat "$EXPORT_DEVICE"\n'}`,
    import: `echo "import $INSTANCE_NAME $IMPORT_INDEX" >> ${runs}\n${scripts.import ?? 'exec cat > "$IMPORT_DEVICE"\n'}`,
    rename: `echo "rename $OLD_INSTANCE_NAME $INSTANCE_NAME" >> ${runs}\n`,
  };
  for (const [script, body] of Object.entries(bodies)) {
    const path = join(sb.osDir, "cat", script);
    await writeFile(path, `#!/bin/bash\n${body}`);
    await chmod(path, 0o755);
  }
}

/** The script runs recorded so far, sorted (disks run at once). */
const runsOf = (sb: Sandbox): string[] =>
  existsSync(sb.path("runs")) ? readFileSync(sb.path("runs"), "utf8").trim().split("\n").sort() : [];

/** Random regions in an otherwise zero disk: [offset, length]. Odd offsets and lengths on purpose. */
function regionsFor(index: number, size: number): [number, number][] {
  const regions: [number, number][] = [
    [0, 256 * 1024 + 7],
    [size / 2 + 123, 5000],
    [size - 4096, 4096],
  ];
  // One disk carries a larger incompressible run.
  if (index === 1) regions.push([MiB, 2 * MiB]);
  return regions;
}

/** Write random bytes into `file` at `regions`; the rest stays zero (a hole). */
async function fillRandom(file: string, regions: [number, number][]): Promise<void> {
  const fh = await open(file, "r+");
  try {
    for (const [offset, length] of regions) await fh.write(randomBytes(length), 0, length, offset);
  } finally {
    await fh.close();
  }
}

/** Bytes of the 4 KiB blocks that `regions` touch. */
function blockBytes(regions: [number, number][]): number {
  const blocks = new Set<number>();
  for (const [offset, length] of regions) {
    for (let b = Math.floor(offset / 4096); b <= Math.floor((offset + length - 1) / 4096); b++) blocks.add(b);
  }
  return blocks.size * 4096;
}

/** The dump's content once decompressed. */
async function decompressed(dump: string, compression: Compression): Promise<Buffer> {
  if (compression === "none") return readFile(dump);
  const tool = compression === "gzip" ? "gzip" : "zstd";
  const { stdout } = await sh(tool, ["-d", "-c", dump], { encoding: "buffer", maxBuffer: 64 * MiB });
  return stdout;
}

/** config.ini's options of `section`, in file order. */
function iniSection(text: string, section: string): Map<string, string> {
  const out = new Map<string, string>();
  let current: string | null = null;
  for (const line of text.split("\n")) {
    const head = /^\[(.+)\]$/.exec(line);
    if (head) current = head[1]!;
    else if (current === section && line.includes(" = ")) {
      out.set(line.slice(0, line.indexOf(" = ")), line.slice(line.indexOf(" = ") + 3));
    }
  }
  return out;
}

/** `backup list`'s table as gnt-backup prints it: columns padded but the last. */
function exportTable(names: string[]): string {
  const width = Math.max("Node".length, HOST.length);
  return ["Node".padEnd(width) + " Export", ...names.map((n) => `${HOST.padEnd(width)} ${n}`)]
    .map((l) => `${l}\n`)
    .join("");
}

/** Wait until every `file` exists (a script wrote it), failing early if guestos ended first. */
async function waitForFiles(sb: Sandbox, proc: Spawned, files: string[]): Promise<number[]> {
  let ended: CliResult | null = null;
  void proc.done.then((r) => (ended = r));
  await waitFor(`the scripts to write ${files.join(", ")}`, () => {
    if (ended) throw new Error(`guestos ended first: ${JSON.stringify(ended)}`);
    return files.every((f) => existsSync(sb.path(f)));
  });
  return files.map((f) => Number(readFileSync(sb.path(f), "utf8").trim()));
}

/** A script line that says it runs: its pid into `<prefix><disk index>`, atomically. */
const announce = (sb: Sandbox, prefix: string, indexVar: string): string => {
  const file = `${sq(sb.path(prefix))}"$${indexVar}"`;
  return `echo $$ > ${file}.tmp && mv ${file}.tmp ${file}`;
};

describe("backup round trips through a cat OS", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await makeSandbox("guestos-backup-");
  });
  afterEach(async () => {
    const root = sb.root;
    await sb.cleanup();
    await assertNothingLeft(root);
    assert.deepEqual(processesUnder(root), []);
  });

  for (const compression of COMPRESSIONS) {
    for (const count of [1, 2, 3]) {
      test(`--compress ${compression}, ${count} disk${count > 1 ? "s" : ""}: export, list, info, import, remove`, async () => {
        await catOs(sb);
        const sizes = [8, 4, 12].slice(0, count);
        const add = await sb.run([
          "instance",
          "add",
          "-o",
          "cat",
          ...sizes.flatMap((s, i) => ["--disk", `${i}:size=${s}M`]),
          "src",
        ]);
        ok(add, "add");
        const sources = diskFiles(sb, "src");
        const regions = sources.map((_, i) => regionsFor(i, sizes[i]! * MiB));
        for (const [i, f] of sources.entries()) await fillRandom(f, regions[i]!);
        const sourceSums = await Promise.all(sources.map(sha256File));

        const exp = await sb.run(["backup", "export", "--compress", compression, "src"]);
        ok(exp, "export");
        const labels = sources.map((_, i) => `disk/${i}`);
        assert.deepEqual(
          progress(exp.stdout).sort(),
          [
            ...labels.map((l) => `Exporting ${l} from ${HOST} to ${HOST}`),
            ...labels.map((l) => `${l} finished sending data`),
            `Finalizing export on ${HOST}`,
          ].sort(),
        );
        assert.equal(progress(exp.stdout).at(-1), `Finalizing export on ${HOST}`);

        // Layout: config.ini and one dump per disk, named by the disk's uuid; nothing hidden left.
        const root = join(sb.home, "export");
        const dir = join(root, "src");
        assert.deepEqual(readdirSync(root), ["src"]);
        const uuids = sources.map(uuidOf);
        assert.deepEqual(readdirSync(dir).sort(), ["config.ini", ...uuids].sort());
        const config = readFileSync(join(dir, "config.ini"), "utf8");
        const exportSect = iniSection(config, "export");
        assert.equal(exportSect.get("version"), "0");
        assert.equal(exportSect.get("os"), "cat");
        assert.equal(exportSect.get("compression"), compression);
        const instance = iniSection(config, "instance");
        const guestos = iniSection(config, "guestos");
        assert.equal(guestos.get("version"), "1");
        assert.equal(instance.get("disk_count"), String(count));
        const infoDisks: string[] = [];
        for (const [i, uuid] of uuids.entries()) {
          const dump = join(dir, uuid);
          const st = statSync(dump);
          const stored = await sha256File(dump);
          assert.equal(instance.get(`disk${i}_dump`), uuid);
          assert.equal(instance.get(`disk${i}_size`), String(sizes[i]));
          assert.equal(guestos.get(`disk${i}_file`), uuid);
          assert.equal(guestos.get(`disk${i}_sha256`), stored);
          assert.equal(guestos.get(`disk${i}_bytes`), String(st.size));
          assert.equal(guestos.get(`disk${i}_compression`), compression);
          // The dump is the script's stream: the disk's bytes, compressed as asked.
          assert.equal(sha256(await decompressed(dump, compression)), sourceSums[i]);
          if (compression === "none") {
            assert.equal(st.size, sizes[i]! * MiB);
            // All-zero blocks became holes: only the blocks with random data take space.
            assert.ok(
              st.blocks * 512 <= blockBytes(regions[i]!) + 64 * 1024,
              `dump of disk/${i} takes ${st.blocks * 512} bytes for ${blockBytes(regions[i]!)} of data`,
            );
          } else {
            const magic = (await readFile(dump)).subarray(0, 4).toString("hex");
            assert.equal(
              magic.slice(0, compression === "gzip" ? 4 : 8),
              compression === "gzip" ? "1f8b" : "28b52ffd",
            );
            assert.ok(
              st.size < sizes[i]! * MiB,
              `a ${compression} dump of disk/${i} is not smaller than the disk`,
            );
          }
          infoDisks.push(
            `    - disk/${i}: ${sizes[i]}M, dump ${uuid}, ${compression}, ${st.size} bytes, sha256 ${stored}`,
          );
        }
        const exportSums = snapshot(root);

        const list = await sb.run(["backup", "list"]);
        ok(list, "list");
        assert.equal(list.stdout, exportTable(["src"]));
        const info = await sb.run(["backup", "info", "src"]);
        ok(info, "info");
        const mac = instance.get("nic0_mac")!;
        assert.match(mac, /^aa:00:00:[0-9a-f]{2}:[0-9a-f]{2}:[0-9a-f]{2}$/);
        assert.equal(
          info.stdout,
          [
            "- Export: src",
            `  Path: ${dir}`,
            "  OS: cat",
            "  Made by: guestos",
            "  Disks: ",
            ...infoDisks,
            "  NICs: ",
            `    - nic/0: ${mac}, ip None`,
            "  Private OS parameters: not included",
            "",
          ].join("\n"),
        );

        const imp = await sb.run(["backup", "import", "--src", "src", "dst"]);
        ok(imp, "import");
        const lines = progress(imp.stdout);
        assert.deepEqual(lines.slice(0, 5), [
          ` - WARNING: NIC 0: MAC ${mac} of the export is in use here; a new one is generated`,
          "* creating instance disks...",
          "adding instance dst to cluster config",
          "adding disks to cluster config",
          "* running the instance OS import scripts...",
        ]);
        assert.deepEqual(
          lines.slice(5, -1).sort(),
          [
            ...labels.map((l) => `Exporting ${l} from ${HOST} to ${HOST}`),
            ...labels.map((l) => `${l} finished receiving data (sha256 verified)`),
          ].sort(),
        );
        assert.equal(lines.at(-1), "Running rename script for dst");

        const imported = diskFiles(sb, "dst");
        assert.equal(imported.length, count);
        for (const [i, f] of imported.entries()) {
          assert.equal(statSync(f).size, sizes[i]! * MiB);
          assert.equal(await sha256File(f), sourceSums[i], `disk/${i} differs after the round trip`);
        }
        for (const [i, f] of sources.entries()) assert.equal(await sha256File(f), sourceSums[i]);
        assert.deepEqual(
          runsOf(sb),
          [
            "create src",
            ...labels.map((_, i) => `export src ${i}`),
            ...labels.map((_, i) => `import dst ${i}`),
            "rename src dst",
          ].sort(),
        );
        assert.equal(await installStates(sb), "dst|installed\nsrc|installed\n");
        assert.deepEqual(snapshot(root), exportSums, "import changed the export");

        const removed = await sb.run(["backup", "remove", "src"]);
        ok(removed, "remove");
        assert.equal(removed.stdout, "");
        assert.deepEqual(readdirSync(root), []);
        const empty = await sb.run(["backup", "list"]);
        ok(empty, "list after remove");
        assert.equal(empty.stdout, exportTable([]));
        // The instance exists, so a missing export is no news.
        const again = await sb.run(["backup", "remove", "src"]);
        ok(again, "remove again");
        assert.equal(again.stdout, "");
        assert.equal(
          await jobRows(sb),
          "1|success|INSTANCE_CREATE(src)\n2|success|BACKUP_EXPORT(src)\n3|success|INSTANCE_CREATE(dst)\n" +
            "4|success|BACKUP_REMOVE(src)\n5|success|BACKUP_REMOVE(src)\n",
        );
      });
    }
  }

  test("remove of an unknown name with no such instance: Ganeti's note, exit 0", async () => {
    const r = await sb.run(["backup", "remove", "ghost"]);
    ok(r, "remove");
    assert.deepEqual(progress(r.stdout), [
      "Export not found. If trying to remove an export belonging to a deleted instance please use its Fully Qualified Domain Name.",
    ]);
    assert.equal(await jobRows(sb), "1|success|BACKUP_REMOVE(ghost)\n");
  });
});

/** A one-disk instance `src` of the cat OS with random data, exported once (unless `exportIt` is false). */
async function exportedSource(
  sb: Sandbox,
  opts: { scripts?: CatScripts; exportIt?: boolean; size?: number } = {},
): Promise<{ root: string; dir: string; dump: string; disk: string; sum: string }> {
  await catOs(sb, opts.scripts ?? {});
  const add = await sb.run(["instance", "add", "-o", "cat", "--disk", `0:size=${opts.size ?? 4}M`, "src"]);
  ok(add, "add");
  const [disk] = diskFiles(sb, "src");
  await fillRandom(disk!, [[0, (opts.size ?? 4) * MiB]]);
  const root = join(sb.home, "export");
  const dir = join(root, "src");
  if (opts.exportIt !== false) ok(await sb.run(["backup", "export", "src"]), "export");
  return { root, dir, dump: join(dir, uuidOf(disk!)), disk: disk!, sum: await sha256File(disk!) };
}

describe("re-export", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await makeSandbox("guestos-backup-");
  });
  afterEach(async () => {
    const root = sb.root;
    await sb.cleanup();
    await assertNothingLeft(root);
    assert.deepEqual(processesUnder(root), []);
  });

  test("replaces the previous export; a failing one leaves it byte-identical and nothing hidden", async () => {
    const fail = sb.path("fail-disk1");
    await catOs(sb, {
      export: [
        `if [ "$EXPORT_INDEX" = 1 ] && [ -e ${sq(fail)} ]; then`,
        '  head -c 100000 "$EXPORT_DEVICE"',
        '  echo "cannot read disk 1" >&2',
        "  exit 7",
        "fi",
        'exec cat "$EXPORT_DEVICE"',
        "",
      ].join("\n"),
    });
    ok(
      await sb.run(["instance", "add", "-o", "cat", "--disk", "0:size=4M", "--disk", "1:size=4M", "src"]),
      "add",
    );
    const disks = diskFiles(sb, "src");
    for (const d of disks) await fillRandom(d, [[0, 4 * MiB]]);
    ok(await sb.run(["backup", "export", "--compress", "zstd", "src"]), "first export");
    const root = join(sb.home, "export");
    const first = snapshot(root);

    // New data, new export: the same names, the new bytes, uncompressed this time.
    for (const d of disks) await fillRandom(d, [[MiB, 4096]]);
    ok(await sb.run(["backup", "export", "src"]), "second export");
    const second = snapshot(root);
    assert.deepEqual(Object.keys(second).sort(), Object.keys(first).sort());
    assert.deepEqual(readdirSync(root), ["src"]);
    for (const d of disks) assert.equal(second[`src/${uuidOf(d)}`], await sha256File(d));
    assert.match(readFileSync(join(root, "src", "config.ini"), "utf8"), /^disk0_compression = none$/m);

    await writeFile(fail, "");
    const r = await sb.run(["backup", "export", "src"]);
    const log = readdirSync(join(sb.home, "log", "os"))
      .filter((l) => l.startsWith("export-cat-src-disk1-"))
      .sort();
    failed(
      r,
      "Error: Cannot export instance src:\n" +
        "disk/1: OS export script failed (exited with exit code 7), last lines in the log file:\ncannot read disk 1\n" +
        "Hint: nothing was written: the previous export, if any, is unchanged\n",
      "failing export",
    );
    assert.equal(log.length, 3);
    assert.deepEqual(snapshot(root), second, "the previous export changed");
    assert.deepEqual(readdirSync(root), ["src"]);
    assert.deepEqual(await jobError(sb, 4), {
      code: "EXPORT_FAILED",
      message:
        "Cannot export instance src:\ndisk/1: OS export script failed (exited with exit code 7), last lines in the log file:\ncannot read disk 1",
    });
    assert.equal(
      await jobRows(sb),
      "1|success|INSTANCE_CREATE(src)\n2|success|BACKUP_EXPORT(src)\n3|success|BACKUP_EXPORT(src)\n4|error|BACKUP_EXPORT(src)\n",
    );
    assert.equal(await installStates(sb), "src|installed\n");
  });
});

describe("bad exports and failing scripts", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await makeSandbox("guestos-backup-");
  });
  afterEach(async () => {
    const root = sb.root;
    await sb.cleanup();
    await assertNothingLeft(root);
    assert.deepEqual(processesUnder(root), []);
  });

  /** An import that is refused before any job: no job, no instance, the export unchanged. */
  async function refusedBeforeJob(root: string, stderr: string): Promise<void> {
    const before = snapshot(root);
    const r = await sb.run(["backup", "import", "--src", "src", "dst"]);
    failed(r, stderr, "import");
    assert.deepEqual(snapshot(root), before);
    assert.equal(await installStates(sb), "src|installed\n");
    assert.equal(await jobRows(sb), "1|success|INSTANCE_CREATE(src)\n2|success|BACKUP_EXPORT(src)\n");
    assert.equal(existsSync(join(sb.home, "file-storage", "dst")), false);
  }

  test("a missing config.ini", async () => {
    const { root, dir, dump } = await exportedSource(sb);
    await unlink(join(dir, "config.ini"));
    await refusedBeforeJob(
      root,
      `Error: No export or invalid export found in dir ${dir}: Export info file doesn't have the required fields\n`,
    );
    assert.equal(existsSync(dump), true);
    // A name with no export directory at all, as Ganeti words it.
    const none = await sb.run(["backup", "import", "--src", "nosuch", "dst"]);
    failed(none, "Error: No export found for relative path nosuch\n", "import of nothing");
    const info = await sb.run(["backup", "info", "nosuch"]);
    failed(info, "Error: No export found for relative path nosuch\n", "info of nothing");
  });

  test("a corrupt config.ini (no section headers)", async () => {
    const { root, dir } = await exportedSource(sb);
    await writeFile(join(dir, "config.ini"), "garbage\n\x01\x02 = 3\n");
    await refusedBeforeJob(
      root,
      `Error: File contains no section headers.\nfile: '${join(dir, "config.ini")}', line: 1\n'garbage\\n'\n`,
    );
  });

  test("config.ini without [instance]", async () => {
    const { root, dir } = await exportedSource(sb);
    await writeFile(join(dir, "config.ini"), "[export]\nversion = 0\nos = cat\n\n");
    await refusedBeforeJob(root, "Error: Export info file doesn't have the required fields\n");
  });

  test("version = 1 in [export]", async () => {
    const { root, dir } = await exportedSource(sb);
    const config = join(dir, "config.ini");
    await writeFile(config, (await readFile(config, "utf8")).replace(/^version = 0$/m, "version = 1"));
    await refusedBeforeJob(root, "Error: Wrong export version 1 (wanted 0)\n");
  });

  test("a dump name that leaves the export directory: refused before the job, no instance left", async () => {
    const { root, dir } = await exportedSource(sb);
    await writeFile(join(root, "x"), randomBytes(4 * MiB));
    const config = join(dir, "config.ini");
    await writeFile(
      config,
      (await readFile(config, "utf8")).replace(/^disk0_dump = .*$/m, "disk0_dump = ../x"),
    );
    await refusedBeforeJob(
      root,
      'Error: Cannot read dump "../x": it contains a slash\n' +
        "Hint: a dump must be a plain file name inside the export directory\n",
    );
    assert.deepEqual(runsOf(sb), ["create src", "export src 0"]);
  });

  /** An import whose job fails: exactly `stderr`, the job in error, `dst` defined and failed, the export unchanged. */
  async function importFails(root: string, message: string): Promise<void> {
    const before = snapshot(root);
    const r = await sb.run(["backup", "import", "--src", "src", "dst"]);
    failed(r, `Error: ${message}\n`, "import");
    assert.deepEqual(snapshot(root), before, "the import changed the export");
    assert.equal(
      await jobRows(sb),
      "1|success|INSTANCE_CREATE(src)\n2|success|BACKUP_EXPORT(src)\n3|error|INSTANCE_CREATE(dst)\n",
    );
    assert.deepEqual(await jobError(sb, 3), { code: "IMPORT_FAILED", message });
    assert.equal(await installStates(sb), "dst|failed\nsrc|installed\n");
    const info = await sb.run(["instance", "info", "dst"]);
    ok(info, "instance info");
    assert.ok(info.stdout.includes(`  Install state: failed\n`), info.stdout);
    assert.ok(info.stdout.includes(`  Last error: ${message.split("\n")[0]}`), info.stdout);
    // A failed import can be removed like any instance.
    ok(await sb.run(["instance", "remove", "-f", "dst"]), "remove dst");
    assert.equal(existsSync(join(sb.home, "file-storage", "dst")), false);
  }

  // Size and presence are checked before the job: nothing is created for an export that cannot be imported.
  test("a truncated dump: refused by its size before anything is created", async () => {
    const { root, dump, disk, sum } = await exportedSource(sb);
    await truncate(dump, MiB);
    await refusedBeforeJob(
      root,
      `Error: Cannot import disk/0: the dump "${dump}" has ${MiB} bytes, the export recorded ${4 * MiB}\n`,
    );
    assert.deepEqual(runsOf(sb), ["create src", "export src 0"], "a script ran");
    assert.equal(await sha256File(disk), sum);
  });

  test("a dump longer than recorded: refused before anything is created", async () => {
    const { root, dump } = await exportedSource(sb);
    await writeFile(dump, "x", { flag: "a" });
    await refusedBeforeJob(
      root,
      `Error: Cannot import disk/0: the dump "${dump}" has ${4 * MiB + 1} bytes, the export recorded ${4 * MiB}\n`,
    );
    assert.deepEqual(runsOf(sb), ["create src", "export src 0"]);
  });

  test("a bit-flipped dump: the checksum fails the import", async () => {
    const { root, dir, dump } = await exportedSource(sb);
    const recorded = iniSection(readFileSync(join(dir, "config.ini"), "utf8"), "guestos").get("disk0_sha256");
    const fh = await open(dump, "r+");
    const byte = Buffer.alloc(1);
    await fh.read(byte, 0, 1, 3 * MiB + 17);
    byte[0] = byte[0]! ^ 0x10;
    await fh.write(byte, 0, 1, 3 * MiB + 17);
    await fh.close();
    const actual = await sha256File(dump);
    await importFails(
      root,
      `Cannot import instance dst:\ndisk/0: Cannot import disk/0: the dump "${dump}" has sha256 ${actual}, the export recorded ${recorded}`,
    );
    // The script read it all (the damage shows only at the end), and rename never ran.
    assert.deepEqual(runsOf(sb), ["create src", "export src 0", "import dst 0"]);
  });

  test("a missing dump file: refused before anything is created", async () => {
    const { root, dump } = await exportedSource(sb);
    await unlink(dump);
    await refusedBeforeJob(root, `Error: Cannot import disk/0: cannot open the dump "${dump}": ENOENT\n`);
    assert.deepEqual(runsOf(sb), ["create src", "export src 0"]);
  });

  test("an import script that exits 0 without reading its input", async () => {
    const { root, dump } = await exportedSource(sb, { scripts: { import: "exit 0\n" } });
    await importFails(
      root,
      `Cannot import instance dst:\ndisk/0: Cannot import disk/0: the import script exited without reading all of the dump "${dump}"`,
    );
    assert.deepEqual(runsOf(sb), ["create src", "export src 0", "import dst 0"]);
  });

  /**
   * An export that fails with `message` twice: with no export yet (nothing appears), and over a good one
   * (made while the `good` flag exists), which stays byte-identical. No staging or superseded copy is left.
   */
  async function exportFails(root: string, good: string, message: string, hint: string): Promise<void> {
    const attempt = async (before: Record<string, string>, id: number): Promise<void> => {
      const r = await sb.run(["backup", "export", "src"]);
      failed(r, `Error: ${message}\nHint: ${hint}\n`, "export");
      assert.deepEqual(snapshot(root), before);
      assert.deepEqual(await jobError(sb, id), { code: "EXPORT_FAILED", message });
      assert.ok((await jobRows(sb)).endsWith(`${id}|error|BACKUP_EXPORT(src)\n`));
    };
    await attempt({}, 2);
    assert.deepEqual(readdirSync(root), []);
    const list = await sb.run(["backup", "list"]);
    ok(list, "list");
    assert.equal(list.stdout, exportTable([]));

    await writeFile(good, "");
    ok(await sb.run(["backup", "export", "src"]), "good export");
    await rm(good);
    const previous = snapshot(root);
    assert.deepEqual(Object.keys(previous).length, 3);
    await attempt(previous, 4);
    assert.equal(await installStates(sb), "src|installed\n");
  }

  const ifGood = (good: string, rest: string): string =>
    `if [ -e ${sq(good)} ]; then exec cat "$EXPORT_DEVICE"; fi\n${rest}`;

  test("an export script that exits 0 after writing nothing", async () => {
    const good = sb.path("good");
    const { root } = await exportedSource(sb, {
      exportIt: false,
      scripts: { export: ifGood(good, "exit 0\n") },
    });
    await exportFails(
      root,
      good,
      `Cannot export instance src:\ndisk/0: Cannot export disk/0: the export script wrote 0 bytes but the disk has ${4 * MiB}`,
      "nothing was written: the previous export, if any, is unchanged",
    );
  });

  test("an export script that writes less than it announced on EXP_SIZE_FD", async () => {
    const good = sb.path("good");
    const script = ifGood(good, `echo ${4 * MiB} >&"$EXP_SIZE_FD"\nhead -c 1000 "$EXPORT_DEVICE"\n`);
    const { root } = await exportedSource(sb, { exportIt: false, scripts: { export: script } });
    await exportFails(
      root,
      good,
      `Cannot export instance src:\ndisk/0: Cannot export disk/0: the export script wrote 1000 bytes but announced ${4 * MiB}`,
      "nothing was written: the previous export, if any, is unchanged",
    );
  });

  test("an export script killed halfway (SIGKILL): Ganeti's script failure message", async () => {
    const good = sb.path("good");
    // stdout is the dump: the script's own words go to stderr, which is the log.
    const script = ifGood(good, 'echo "sending half" >&2\nhead -c 2097152 "$EXPORT_DEVICE"\nkill -9 $$\n');
    const { root } = await exportedSource(sb, { exportIt: false, scripts: { export: script } });
    await exportFails(
      root,
      good,
      "Cannot export instance src:\ndisk/0: OS export script failed (terminated by signal 9), last lines in the log file:\nsending half",
      "nothing was written: the previous export, if any, is unchanged",
    );
  });
});

describe("guestos killed with SIGKILL during a transfer", () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = await makeSandbox("guestos-backup-");
  });
  afterEach(async () => {
    const root = sb.root;
    await sb.cleanup();
    await assertNothingLeft(root);
    assert.deepEqual(processesUnder(root), []);
  });

  test("during an export: recovery fails the job, removes the staging copy, kills the scripts; the previous export stays", async () => {
    const hold = sb.path("hold");
    const script = [
      `if [ -e ${sq(hold)} ]; then`,
      '  head -c 1048576 "$EXPORT_DEVICE"',
      `  ${announce(sb, "export-", "EXPORT_INDEX")}`,
      "  while :; do sleep 0.1; done",
      "fi",
      'exec cat "$EXPORT_DEVICE"',
      "",
    ].join("\n");
    await catOs(sb, { export: script });
    ok(
      await sb.run(["instance", "add", "-o", "cat", "--disk", "0:size=4M", "--disk", "1:size=8M", "src"]),
      "add",
    );
    const disks = diskFiles(sb, "src");
    for (const d of disks) await fillRandom(d, [[0, 3 * MiB]]);
    ok(await sb.run(["backup", "export", "src"]), "first export");
    const root = join(sb.home, "export");
    const previous = snapshot(root);

    await writeFile(hold, "");
    const exp = sb.start(["backup", "export", "--compress", "zstd", "src"]);
    const pids = await waitForFiles(sb, exp, ["export-0", "export-1"]);
    for (const pid of pids) sb.track(pid);
    assert.deepEqual(readdirSync(root).sort(), [".staging-3-src", "src"]);
    process.kill(exp.pid, "SIGKILL");
    assert.equal((await exp.done).code, null);
    assert.equal(isGone(pids[0]!), false, "the script died with guestos");

    // The next command recovers the job.
    assert.equal(
      await jobRows(sb),
      "1|success|INSTANCE_CREATE(src)\n2|success|BACKUP_EXPORT(src)\n3|error|BACKUP_EXPORT(src)\n",
    );
    assert.deepEqual(await jobError(sb, 3), {
      code: "JOB_INTERRUPTED",
      message: `Job 3 was interrupted: its process ${exp.pid} ended before the job finished`,
    });
    for (const pid of pids) {
      assert.equal(isGone(pid), true, `export script ${pid} still runs`);
      assert.deepEqual(groupMembers(pid), []);
    }
    assert.deepEqual(readdirSync(root), ["src"]);
    assert.deepEqual(snapshot(root), previous, "the previous export changed");
    assert.deepEqual(await loopsUnder(sb.root), []);
    await waitFor("zstd to see the end of its input", () => processesUnder(sb.root).length === 0, 10_000);

    // The instance is free again: a new export works.
    await rm(hold);
    ok(await sb.run(["backup", "export", "src"]), "export after recovery");
    for (const d of disks) assert.equal(snapshot(root)[`src/${uuidOf(d)}`], await sha256File(d));
  });

  test("during an import: recovery fails the job and the new instance, kills the scripts; the instance can be removed", async () => {
    const go = sb.path("go");
    const script = [
      `${announce(sb, "import-", "IMPORT_INDEX")}`,
      `while [ ! -e ${sq(go)} ]; do sleep 0.1; done`,
      'exec cat > "$IMPORT_DEVICE"',
      "",
    ].join("\n");
    const { root, sum } = await exportedSource(sb, { scripts: { import: script } });
    const exported = snapshot(root);

    const imp = sb.start(["backup", "import", "--src", "src", "dst"]);
    const [pid] = await waitForFiles(sb, imp, ["import-0"]);
    sb.track(pid!);
    process.kill(imp.pid, "SIGKILL");
    assert.equal((await imp.done).code, null);
    assert.equal(isGone(pid!), false);

    assert.equal(
      await jobRows(sb),
      "1|success|INSTANCE_CREATE(src)\n2|success|BACKUP_EXPORT(src)\n3|error|INSTANCE_CREATE(dst)\n",
    );
    const interrupted = `Job 3 was interrupted: its process ${imp.pid} ended before the job finished`;
    assert.deepEqual(await jobError(sb, 3), { code: "JOB_INTERRUPTED", message: interrupted });
    assert.equal(isGone(pid!), true, "the import script still runs");
    assert.deepEqual(groupMembers(pid!), []);
    assert.equal(await installStates(sb), "dst|failed\nsrc|installed\n");
    const info = await sb.run(["instance", "info", "dst"]);
    ok(info, "info");
    assert.ok(info.stdout.includes(`  Last error: ${interrupted}\n`), info.stdout);
    assert.deepEqual(snapshot(root), exported);
    assert.deepEqual(await loopsUnder(sb.root), []);
    await waitFor("the dump feeder to end", () => processesUnder(sb.root).length === 0, 10_000);

    await writeFile(go, "");
    ok(await sb.run(["instance", "remove", "-f", "dst"]), "remove");
    assert.equal(existsSync(join(sb.home, "file-storage", "dst")), false);
    assert.equal(await installStates(sb), "src|installed\n");
    // And the same import now goes through.
    ok(await sb.run(["backup", "import", "--src", "src", "dst"]), "import again");
    assert.equal(await sha256File(diskFiles(sb, "dst")[0]!), sum);
  });
});
