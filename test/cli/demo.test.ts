/** `guestos demo` as a whole process, in a private TMPDIR so that its leftovers (or their absence) are ours. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, realpath, rm } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { guestos } from "../interop/cli.js";

let tmp: string;

before(async () => {
  tmp = await realpath(await mkdtemp(join(tmpdir(), "guestos-cli-demo-")));
});

after(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const demoDirs = async (): Promise<string[]> =>
  (await readdir(tmp)).filter((n) => n.startsWith("guestos-demo-"));

describe("guestos demo", () => {
  test("tours validate and every script, then removes its directory", async () => {
    const r = await guestos(["demo"], { env: { ...process.env, TMPDIR: tmp } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    const lines = r.stdout.split("\n");
    const work = /^Working in (.+)$/.exec(lines[0]!)?.[1];
    assert.ok(work?.startsWith(join(tmp, "guestos-demo-")), lines[0]);

    const next = (line: string): string | undefined => lines[lines.indexOf(line) + 1];
    assert.equal(next("$ guestos os validate hello+minimal -O greeting=hi"), "  accepted");
    assert.equal(
      next("$ guestos os validate hello+nosuch -O greeting=hi"),
      "  rejected: OS 'hello' does not support variant 'nosuch'",
    );
    assert.equal(
      next("$ guestos os validate hello+default -O colour=blue"),
      "  rejected: The following parameters are not supported by the OS hello: colour",
    );
    assert.equal(
      next("$ guestos os validate hello+default -O greeting=hi; reboot"),
      "  rejected: OS validation script failed (exited with exit code 1), output: greeting must be plain text, " +
        "got: hi; reboot",
    );
    assert.ok(lines.includes("OS: hello [global status: valid]"));
    assert.ok(lines.includes("  OS_VARIANT=minimal"));
    assert.ok(lines.includes("  OSP_GREETING=hello"));
    assert.ok(lines.includes("  | create: web1.example.com, variant minimal, reinstall=no"));
    assert.ok(lines.includes("  | create: web1.example.com, variant minimal, reinstall=1"));
    assert.ok(lines.includes("  | rename: web1.example.com -> web2.example.com"));
    const engineStart = lines.indexOf(
      "The engine underneath: each OS script run on its own (guestos os ...)",
    );
    assert.ok(engineStart > 0);
    const nodePart = lines.slice(0, engineStart);
    const progress = (l: string) => l.replace(/^\w{3} \w{3} [ \d]\d \d\d:\d\d:\d\d \d{4} /, "");
    const after = (cmd: string, n: number) =>
      nodePart.slice(nodePart.indexOf(cmd) + 1, nodePart.indexOf(cmd) + 1 + n).map(progress);
    assert.deepEqual(
      after(
        "$ guestos instance add -o hello+default -t file --disk 0:size=64M -O greeting=hello web1.example.com",
        4,
      ),
      [
        "* creating instance disks...",
        "adding instance web1.example.com to cluster config",
        "adding disks to cluster config",
        "* running the instance OS create scripts...",
      ],
    );
    assert.deepEqual(
      nodePart.filter((l) => l.includes("now starts with")).map((l) => l.replace(/ moved to .*; it/, " it")),
      [
        "  disk 0 now starts with: guestos-demo web1.example.com default hello",
        "  disk 0 now starts with: guestos-demo web1.example.com default bonjour",
        "  disk 0 it now starts with: guestos-demo web2.example.com default bonjour",
        // imported from web2's zstd export, then renamed by the OS's rename script
        "  disk 0 of web3 now starts with: guestos-demo web3.example.com default bonjour",
      ],
    );
    assert.ok(
      nodePart.includes(
        "Error: OS Parameters validation failed on node " +
          hostname() +
          ": OS validation script failed (exited with exit code 1), output: greeting must be plain text, got: hi; reboot",
      ),
    );
    assert.ok(nodePart.includes("Instance 'web1.example.com' renamed to 'web2.example.com'"));
    assert.ok(nodePart.some((l) => / disk\/0 finished receiving data \(sha256 verified\)$/.test(l)));
    assert.ok(nodePart.some((l) => /^ 4 success INSTANCE_RENAME$/.test(l)));
    assert.ok(nodePart.some((l) => /^ 2 error {3}INSTANCE_CREATE\(bad\.example\.com\)$/.test(l)));
    assert.deepEqual(
      lines.slice(engineStart).filter((l) => l.includes("now starts with")),
      [
        "  disk 0 now starts with: guestos-demo web1.example.com minimal hello",
        "  disk 0 now starts with: guestos-demo web2.example.com minimal hello",
        "  disk 1 now starts with: guestos-demo web2.example.com minimal hello",
      ],
    );
    assert.ok(lines.includes("  the script reported 67108864 bytes on EXP_SIZE_FD"));
    assert.equal(
      lines.filter((l) => l.startsWith("  exit code ")).length,
      5,
      "create, reinstall, rename, export, import",
    );
    assert.ok(!lines.includes("  | "), "an empty log prints no empty line");
    assert.deepEqual(lines.slice(-2), [
      "Done; the demo directory was removed (use --keep to look at it).",
      "",
    ]);
    assert.equal(existsSync(work!), false);
    assert.deepEqual(await demoDirs(), []);
  });

  test("--keep leaves the directory", async () => {
    const r = await guestos(["demo", "--keep"], { env: { ...process.env, TMPDIR: tmp } });
    assert.equal(r.code, 0, r.stderr);
    const work = /^Working in (.+)$/m.exec(r.stdout)?.[1];
    assert.ok(work);
    assert.ok(r.stdout.endsWith(`\nKept ${work}\n`), r.stdout.slice(-200));
    assert.ok(existsSync(join(work, "disk0.img")));
    assert.deepEqual(await demoDirs(), [work.slice(tmp.length + 1)]);
  });
});
