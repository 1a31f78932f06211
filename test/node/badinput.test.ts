/**
 * `guestos instance add` refusing bad input as whole processes: every refusal comes before a disk is made
 * (no instance directory under file-storage, no instance listed), with the exact message. Messages that
 * are Ganeti's are Ganeti 3.0's (cli.py GenericInstanceCreate, utils.ForceDictType, ParseUnit,
 * LUInstanceCreate.CheckArguments, ComputeDisks, CheckOSParams and backend.ValidateOS).
 */
import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { assertNothingLeft, makeSandbox, sq, type Sandbox } from "./sandbox.js";

const HOST = hostname();
const BAD_NAME = (name: string): string =>
  `Error: Cannot add instance "${name}": not a valid host name (dot-separated labels of letters, digits and ` +
  `"-", not starting or ending with "-", at most 63 characters each and 255 in all)\n`;
const VALIDATION = `Error: OS Parameters validation failed on node ${HOST}: `;

interface Case {
  what: string;
  /** `instance add` arguments (the name included, after `--` where it starts with "-"). */
  args: string[];
  /** The exact stderr, or its first line when `prefixOnly`. */
  stderr: string;
  prefixOnly?: boolean;
}

const DISK = ["--disk", "0:size=4M"];
const OS = ["-o", "tos+default"];

// Ganeti's GetNormalizedName would take "-bad", "x_y" and a 64-character label (its name check then
// resolves them in DNS); guestos never resolves names and asks for RFC 1123 host names instead.
const CASES: Case[] = [
  { what: "a name starting with a dash", args: [...OS, ...DISK, "--", "-bad"], stderr: BAD_NAME("-bad") },
  { what: "an empty label", args: [...OS, ...DISK, "a..b"], stderr: BAD_NAME("a..b") },
  {
    what: "a 64-character label",
    args: [...OS, ...DISK, `${"a".repeat(64)}.example`],
    stderr: BAD_NAME(`${"a".repeat(64)}.example`),
  },
  { what: "an underscore", args: [...OS, ...DISK, "x_y"], stderr: BAD_NAME("x_y") },
  // ParseUnit's UnitParseError is no ValueError: Ganeti's client lets it through with its own text.
  {
    what: "an unknown size unit",
    args: [...OS, "--disk", "0:size=1Q", "ok1"],
    stderr: "Error: Unknown unit: Q\n",
  },
  {
    what: "a size that is no number",
    args: [...OS, "--disk", "0:size=abc", "ok1"],
    stderr: "Error: Invalid format\n",
  },
  {
    what: "a disk index given twice (both are checked before the last one wins)",
    args: [...OS, "--disk", "0:size=1Q", "--disk", "0:size=4M", "ok1"],
    stderr: "Error: Unknown unit: Q\n",
  },
  {
    what: "a skipped disk index",
    args: [...OS, "--disk", "1:size=4M", "ok1"],
    stderr: "Error: Missing disk size\n",
  },
  {
    what: "size and adopt together",
    args: [...OS, "--disk", "0:size=4M,adopt=/dev/null", "ok1"],
    stderr: "Error: Only one of 'size' and 'adopt' allowed (disk 0)\n",
  },
  {
    what: "adoption with the file template",
    args: [...OS, "-t", "file", "--disk", "0:adopt=/dev/null", "ok1"],
    stderr: "Error: Disk adoption is not supported for the 'file' disk template\n",
  },
  {
    what: "an unknown OS",
    args: ["-o", "nope", ...DISK, "ok1"],
    stderr: `${VALIDATION}Directory for OS nope not found in search path\n`,
  },
  {
    what: "an unknown variant",
    args: ["-o", "tos+nov", ...DISK, "ok1"],
    stderr: `${VALIDATION}OS 'tos' does not support variant 'nov'\n`,
  },
  {
    what: "no variant for an OS that has variants",
    args: ["-o", "tos", ...DISK, "ok1"],
    stderr: `${VALIDATION}OS name 'tos' must include a variant\n`,
  },
  {
    what: "an undeclared OS parameter",
    args: [...OS, ...DISK, "-O", "foo=1", "ok1"],
    stderr: `${VALIDATION}The following parameters are not supported by the OS tos: foo\n`,
  },
  {
    what: "an undeclared private OS parameter",
    args: [...OS, ...DISK, "--os-parameters-private", "secretkey=1", "ok1"],
    stderr: `${VALIDATION}The following parameters are not supported by the OS tos: secretkey\n`,
  },
  {
    what: "parameters verify rejects (its stdout, then its stderr)",
    args: [...OS, ...DISK, "-O", "greeting=bad", "ok1"],
    stderr:
      `${VALIDATION}OS validation script failed (exited with exit code 1), output: ` +
      "greeting rejected: bad\non stderr\n\n",
  },
  {
    what: "an unknown -B key",
    args: [...OS, ...DISK, "-B", "bogus=1", "ok1"],
    stderr: "Error: Unknown parameter 'bogus'\n",
    prefixOnly: true,
  },
  {
    what: "a -B size that is no size",
    args: [...OS, ...DISK, "-B", "memory=lots", "ok1"],
    stderr: "Error: 'memory' (value lots) is not a valid size. error: Invalid format\n",
  },
  {
    what: "a -B integer that is no integer",
    args: [...OS, ...DISK, "-B", "vcpus=x", "ok1"],
    stderr: "Error: 'vcpus' (value x) is not a valid integer\n",
  },
  {
    what: "an unknown -H hypervisor",
    args: [...OS, ...DISK, "-H", "nohv", "ok1"],
    stderr: "Error: Parameter 'OP_INSTANCE_CREATE.hypervisor' fails validation\n",
    prefixOnly: true,
  },
  {
    what: "an unknown -H parameter of a known hypervisor",
    args: [...OS, ...DISK, "-H", "kvm:bogus=1", "ok1"],
    stderr: "Error: Unknown parameter 'bogus'\n",
    prefixOnly: true,
  },
];

describe("instance add refuses bad input before making any disk", () => {
  let sb: Sandbox;
  let n = 0;
  let home: string;
  before(async () => {
    sb = await makeSandbox("guestos-badinput-");
    // verify rejects a greeting holding "bad", on both streams (Ganeti reports stdout, then stderr).
    const verify =
      'case "$OSP_GREETING" in\n' +
      '  *bad*) echo "greeting rejected: $OSP_GREETING"; echo "on stderr" >&2; exit 1 ;;\n' +
      "esac\n";
    await sb.writeOs("tos", {
      create: `echo "$INSTANCE_NAME" >> ${sq(sb.path("runs"))}\n`,
      verify,
      variants: ["default", "slow"],
      params: ["greeting The greeting", "size A size"],
    });
  });
  after(async () => {
    const root = sb.root;
    await sb.cleanup();
    await assertNothingLeft(root);
  });
  let runsBefore: string;
  beforeEach(() => {
    home = join(sb.root, `home${++n}`);
    runsBefore = runs();
  });
  const runs = (): string => (existsSync(sb.path("runs")) ? readFileSync(sb.path("runs"), "utf8") : "");

  /** Nothing was created: no instance directory, no instance, the create script never ran. */
  async function assertNothingCreated(): Promise<void> {
    const storage = join(home, "file-storage");
    assert.deepEqual(existsSync(storage) ? readdirSync(storage) : [], []);
    const list = await sb.run(["instance", "list", "--no-headers", "-o", "name"], { home });
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout, "");
    assert.equal(runs(), runsBefore, "the create script did not run");
  }

  for (const c of CASES) {
    test(c.what, async () => {
      const r = await sb.run(["instance", "add", ...c.args], { home });
      assert.equal(r.code, 1, JSON.stringify(r));
      if (c.prefixOnly) assert.ok(r.stderr.startsWith(c.stderr), r.stderr);
      else assert.equal(r.stderr, c.stderr);
      assert.equal(r.stdout, "");
      await assertNothingCreated();
    });
  }

  test("a blacklisted OS is refused until it is allowed again", async () => {
    const ban = await sb.run(["os", "modify", "--blacklisted", "yes", "tos+default"], { home });
    assert.equal(ban.code, 0, ban.stderr);
    const refused = await sb.run(["instance", "add", ...OS, ...DISK, "ok1"], { home });
    assert.equal(refused.code, 1);
    assert.equal(
      refused.stderr,
      "Error: Guest OS 'tos+default' is not allowed for installation\n" +
        'Hint: allow it again with "guestos os modify --blacklisted no tos+default"\n',
    );
    await assertNothingCreated();

    const allow = await sb.run(["os", "modify", "--blacklisted", "no", "tos+default"], { home });
    assert.equal(allow.code, 0, allow.stderr);
    const added = await sb.run(["instance", "add", ...OS, ...DISK, "ok1"], { home });
    assert.equal(added.code, 0, added.stderr);
    const list = await sb.run(["instance", "list", "--no-headers", "-o", "name"], { home });
    assert.equal(list.stdout, "ok1\n");
    const removed = await sb.run(["instance", "remove", "-f", "ok1"], { home });
    assert.equal(removed.code, 0, removed.stderr);
  });

  test("a disk index given twice with valid sizes: the last one wins, as in Ganeti", async () => {
    const r = await sb.run(
      ["instance", "add", ...OS, "--disk", "0:size=8M", "--disk", "0:size=4M", "twice"],
      {
        home,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const dir = join(home, "file-storage", "twice");
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.equal(statSync(join(dir, files[0]!)).size, 4 * 2 ** 20);
    const removed = await sb.run(["instance", "remove", "-f", "twice"], { home });
    assert.equal(removed.code, 0, removed.stderr);
  });

  test("instance list -o with an unknown field: exit 14, Ganeti's warning, ?? cells", async () => {
    const added = await sb.run(["instance", "add", ...OS, ...DISK, "ok1"], { home });
    assert.equal(added.code, 0, added.stderr);
    const r = await sb.run(["instance", "list", "-o", "name,bogus"], { home });
    assert.equal(r.code, 14);
    assert.equal(r.stderr, "Warning: Queried for unknown fields bogus\n");
    assert.deepEqual(
      r.stdout.split("\n").map((l) => l.trimEnd()),
      ["Instance bogus", "ok1      ??", ""],
    );
    const only = await sb.run(["instance", "list", "--no-headers", "-o", "bogus"], { home });
    assert.equal(only.code, 14);
    assert.equal(only.stdout, "??\n");
    const removed = await sb.run(["instance", "remove", "-f", "ok1"], { home });
    assert.equal(removed.code, 0, removed.stderr);
  });
});
