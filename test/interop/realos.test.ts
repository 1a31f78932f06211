/**
 * Debian's real OS definitions (ganeti-os-noop, ganeti-instance-debootstrap) run through `guestos os run` on
 * loop-attached sparse files: create, rename, export and import, checked on the bytes and files on disk.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, open, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { attachLoop, detachLoop } from "../../src/disks/index.js";
import { guestos } from "./cli.js";
import { DEBOOTSTRAP_DEPS, debootstrapOs } from "./debootstrap.js";
import { requireDeps } from "./deps.js";

const sh = promisify(execFile);
const NOOP = "/usr/share/ganeti/os/noop";
const MiB = 1024 * 1024;

async function sparseFile(path: string, size: number, chunks: { offset: number; data: Buffer }[] = []) {
  const fh = await open(path, "w");
  try {
    await fh.truncate(size);
    for (const c of chunks) await fh.write(c.data, 0, c.data.length, c.offset);
  } finally {
    await fh.close();
  }
}

async function withMount<T>(device: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "guestos-mnt-"));
  await sh("mount", ["-o", "ro", device, dir]);
  try {
    return await fn(dir);
  } finally {
    await sh("umount", [dir]);
    await rm(dir, { recursive: true, force: true });
  }
}

describe("Debian's real OS definitions through guestos os run", () => {
  let root: string;
  const loops: string[] = [];
  const loop = async (file: string) => {
    const dev = await attachLoop(file);
    loops.push(dev);
    return dev;
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), "guestos-realos-"));
  });
  after(async () => {
    for (const dev of loops.reverse()) await detachLoop(dev);
    await rm(root, { recursive: true, force: true });
  });

  test("noop (API 10): create, export, import and rename on loop devices", async (t) => {
    if (!requireDeps(t, [{ path: NOOP, pkg: "ganeti-os-noop" }])) return;
    const src = join(root, "noop-src.img");
    const dst = join(root, "noop-dst.img");
    const head = randomBytes(MiB);
    const middle = randomBytes(MiB);
    await sparseFile(src, 64 * MiB, [
      { offset: 0, data: head },
      { offset: 32 * MiB, data: middle },
    ]);
    await sparseFile(dst, 64 * MiB);
    const [devA, devB] = [await loop(src), await loop(dst)];
    const logDir = join(root, "noop-log");
    const spec = join(root, "noop.json");
    const doc = {
      name: "noop1.example.com",
      os: "noop",
      hypervisor: "kvm",
      disks: [{ path: devA, size: 64 }],
    };
    await writeFile(spec, JSON.stringify(doc));
    const common = ["--instance", spec, "--search-path", "/usr/share/ganeti/os", "--log-dir", logDir];

    const create = await guestos(["os", "run", "create", ...common, "--json"]);
    assert.equal(create.code, 0, create.stderr);
    const created = JSON.parse(create.stdout) as { logFile: string; exitCode: number };
    assert.equal(created.exitCode, 0);
    assert.match(
      created.logFile,
      new RegExp(
        `^${logDir}/add-noop-noop1\\.example\\.com-\\d{4}-\\d\\d-\\d\\d_\\d\\d_\\d\\d_\\d\\d\\.log$`,
      ),
    );

    const dump = join(root, "noop-disk0.dump");
    const out = await open(dump, "w");
    const exp = await guestos(["os", "run", "export", ...common, "--disk", "0", "--json"], {
      stdout: out.fd,
    });
    await out.close();
    assert.equal(exp.code, 0, exp.stderr);
    assert.deepEqual(JSON.parse(exp.stderr.trim().split("\n").pop()!), {
      script: "export",
      exitCode: 0,
      logFile: (await readdir(logDir))
        .map((f) => join(logDir, f))
        .find((f) => f.includes("/export-noop-noop1.example.com-disk0-")),
      size: 64 * MiB,
    });
    assert.deepEqual(await readFile(dump), await readFile(src));

    await writeFile(spec, JSON.stringify({ ...doc, disks: [{ path: devB, size: 64 }] }));
    const inp = await open(dump, "r");
    const imp = await guestos(["os", "run", "import", ...common, "--disk", "0"], { stdin: inp.fd });
    await inp.close();
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(
      imp.stderr,
      /^import: success \(exit code 0\)\nlog: .*\/import-noop-noop1\.example\.com-disk0-.*\.log\n/,
    );
    await sh("sync");
    assert.deepEqual(await readFile(dst), await readFile(src));

    await writeFile(spec, JSON.stringify({ ...doc, name: "noop2.example.com" }));
    const rename = await guestos(["os", "run", "rename", ...common, "--old-name", "noop1.example.com"]);
    assert.equal(rename.code, 0, rename.stderr);
    assert.match(
      rename.stdout,
      /log: .*\/rename-noop-noop1\.example\.com-noop2\.example\.com-\d{4}-\d\d-\d\d_\d\d_\d\d_\d\d\.log/,
    );
  });

  test(
    "debootstrap (API 20, bookworm variant): a bootable filesystem that rename, export and import carry",
    { timeout: 1_800_000 },
    async (t) => {
      if (!requireDeps(t, DEBOOTSTRAP_DEPS)) return;
      // A temporary search dir: Debian's scripts, plus a bookworm variant (no device-mapper here, so no partitions).
      await debootstrapOs(join(root, "os"));

      const [img1, img2] = [join(root, "deb1.img"), join(root, "deb2.img")];
      await sparseFile(img1, 1024 * MiB);
      await sparseFile(img2, 1024 * MiB);
      const [dev1, dev2] = [await loop(img1), await loop(img2)];
      const spec = join(root, "deb.json");
      const doc = {
        name: "deb1.example.com",
        os: "debootstrap+bookworm",
        hypervisor: "kvm",
        osparams: { filesystem: "ext4" },
        disks: [{ path: dev1, size: 1024 }],
      };
      await writeFile(spec, JSON.stringify(doc));
      const common = [
        "--instance",
        spec,
        "--search-path",
        join(root, "os"),
        "--log-dir",
        join(root, "deb-log"),
      ];

      const verify = await guestos([
        "os",
        "validate",
        "debootstrap+bookworm",
        "-O",
        "filesystem=xfs",
        "--search-path",
        join(root, "os"),
      ]);
      assert.equal(verify.code, 1);
      assert.equal(
        verify.stderr,
        "Error: OS validation script failed (exited with exit code 1), output: Invalid value 'xfs' for the filesystem parameter\n\n",
      );

      const create = await guestos(["os", "run", "create", ...common, "--timeout", "1500"]);
      assert.equal(create.code, 0, create.stderr + create.stdout);
      await withMount(dev1, async (m) => {
        assert.equal((await readFile(join(m, "etc/hostname"), "utf8")).trim(), "deb1.example.com");
        assert.match(await readFile(join(m, "etc/debian_version"), "utf8"), /^12\./);
      });

      await writeFile(spec, JSON.stringify({ ...doc, name: "deb2.example.com" }));
      const rename = await guestos(["os", "run", "rename", ...common, "--old-name", "deb1.example.com"]);
      assert.equal(rename.code, 0, rename.stderr);
      await withMount(dev1, async (m) => {
        assert.equal((await readFile(join(m, "etc/hostname"), "utf8")).trim(), "deb2.example.com");
      });

      const dump = join(root, "deb-disk0.dump");
      const out = await open(dump, "w");
      const exp = await guestos(["os", "run", "export", ...common, "--disk", "0"], { stdout: out.fd });
      await out.close();
      assert.equal(exp.code, 0, exp.stderr);
      await writeFile(
        spec,
        JSON.stringify({ ...doc, name: "deb2.example.com", disks: [{ path: dev2, size: 1024 }] }),
      );
      const inp = await open(dump, "r");
      const imp = await guestos(["os", "run", "import", ...common, "--disk", "0"], { stdin: inp.fd });
      await inp.close();
      assert.equal(imp.code, 0, imp.stderr);
      await withMount(dev2, async (m) => {
        assert.equal((await readFile(join(m, "etc/hostname"), "utf8")).trim(), "deb2.example.com");
        assert.match(await readFile(join(m, "etc/debian_version"), "utf8"), /^12\./);
      });
    },
  );
});
