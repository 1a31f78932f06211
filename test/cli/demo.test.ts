/** `guestos demo` as a whole process, in a private TMPDIR so that its leftovers (or their absence) are ours. */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
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
    assert.deepEqual(
      lines.filter((l) => l.includes("now starts with")),
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
