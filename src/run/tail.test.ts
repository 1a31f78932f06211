import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";

import { isGuestosError } from "../errors.js";
import { decodeSurrogateEscape, pySplitlines, tailLines, tailLog } from "./tail.js";

const PYTHON = "/usr/bin/python3";
const GANETI = "/usr/share/ganeti/default";
const haveGaneti = fs.existsSync(PYTHON) && fs.existsSync(`${GANETI}/ganeti/utils/io.py`);

/** Ganeti's [SafeEncode(l) for l in TailFile(f, lines=n)] per file, or null where Python raises. */
function ganetiTail(files: string[], lines: number): (string[] | null)[] {
  const script = [
    "import json, sys",
    `sys.path.insert(0, ${JSON.stringify(GANETI)})`,
    "from ganeti import utils",
    "out = []",
    "for f in json.loads(sys.stdin.read()):",
    "  try:",
    `    out.append([utils.SafeEncode(l) for l in utils.TailFile(f, lines=${lines})])`,
    "  except UnicodeDecodeError:",
    "    out.append(None)",
    "print(json.dumps(out))",
  ].join("\n");
  const out = execFileSync(PYTHON, ["-c", script], {
    input: JSON.stringify(files),
    env: { PATH: "/usr/bin:/bin", LC_ALL: "C.UTF-8" },
    maxBuffer: 64 << 20,
  });
  return JSON.parse(out.toString()) as (string[] | null)[];
}

let dir: string;
before(async () => {
  dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), "guestos-tail-"));
});
after(async () => {
  await fs.promises.rm(dir, { recursive: true, force: true });
});

function write(name: string, data: string | Uint8Array): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, data);
  return p;
}

describe("pySplitlines", () => {
  test("splits on every line boundary str.splitlines knows", () => {
    assert.deepEqual(pySplitlines("a\nb\r\nc\rd\ve\ff\x1cg\x1dh\x1ei\x85j\u2028k\u2029l"), [
      ..."abcdefghijkl",
    ]);
    assert.deepEqual(pySplitlines("a\n\nb\n"), ["a", "", "b"]);
    assert.deepEqual(pySplitlines(""), []);
    assert.deepEqual(pySplitlines("\n"), [""]);
  });
});

describe("decodeSurrogateEscape", () => {
  test("decodes valid UTF-8 and marks each invalid byte", () => {
    const bytes = Buffer.from([
      0x61, 0xc3, 0xa9, 0xff, 0xe2, 0x82, 0x41, 0xed, 0xa0, 0x80, 0xf0, 0x9f, 0x98, 0x80,
    ]);
    assert.equal(decodeSurrogateEscape(bytes), "aé\udcff\udce2\udc82A\udced\udca0\udc80😀");
  });
});

describe("tailLines", () => {
  test("keeps the last 20 lines, escaped, with universal newlines", () => {
    const text = Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n") + "\n";
    assert.deepEqual(
      tailLines(Buffer.from(text)),
      Array.from({ length: 20 }, (_, i) => `line ${i + 10}`),
    );
    // Text mode turns "\r" into a line break before SafeEncode could show its \'r.
    assert.deepEqual(tailLines(Buffer.from("a\tb\r\nc\rd\x1b[0m\n")), ["a\\tb", "c", "d\\x1b[0m"]);
  });

  test("shows bytes that are not UTF-8 as \\xNN", () => {
    assert.deepEqual(tailLines(Buffer.from([0x6f, 0x6b, 0x0a, 0xff, 0xfe, 0xc0, 0xaf, 0x00, 0x0a])), [
      "ok",
      "\\xff\\xfe\\xc0\\xaf\\x00",
    ]);
  });

  test("lines=0 keeps every line, like Python's rows[-0:]", () => {
    assert.deepEqual(tailLines(Buffer.from("a\nb\n"), 0), ["a", "b"]);
  });
});

describe("tailLog", () => {
  test("reads only the last 4096 bytes", async () => {
    const long = "x".repeat(5000);
    const p = write("long.log", `first\n${long}\nlast\n`);
    const lines = await tailLog(p);
    assert.deepEqual(lines, ["x".repeat(4096 - "\nlast\n".length), "last"]);
  });

  test("an empty log has no lines", async () => {
    assert.deepEqual(await tailLog(write("empty.log", "")), []);
  });

  test("a missing log is LOG_READ", async () => {
    await assert.rejects(tailLog(path.join(dir, "nope.log")), (err) => {
      assert.ok(isGuestosError(err, "LOG_READ"));
      assert.match(err.message, /^Cannot read log file ".*nope\.log": ENOENT$/);
      return true;
    });
  });

  test("matches Ganeti's TailFile + SafeEncode", { skip: !haveGaneti && "no Ganeti here" }, async () => {
    const fragment = fc.oneof(
      fc.string({ unit: "grapheme", maxLength: 20 }),
      fc.constantFrom(
        "\n",
        "\r",
        "\r\n",
        "\t",
        "\v",
        "\f",
        "\x1c",
        "\x85",
        "\u2028",
        "\x00",
        "\x7f",
        "é",
        "😀",
      ),
      fc.integer({ min: 100, max: 3000 }).map((n) => "y".repeat(n)),
    );
    const bodies = fc.sample(
      fc.array(fragment, { maxLength: 60 }).map((parts) => parts.join("")),
      { numRuns: 300, seed: 7 },
    );
    const files = bodies.map((b, i) => write(`p${i}.log`, b));
    files.push(write("garbage.log", Buffer.from([0x61, 0x0a, 0xff, 0xfe, 0x0a])));
    const want = ganetiTail(files, 20);
    let compared = 0;
    for (const [i, f] of files.entries()) {
      const got = await tailLog(f);
      const expected = want[i];
      if (expected === null || expected === undefined) {
        // Python raised UnicodeDecodeError (a character cut by the window, or garbage); we escape instead.
        assert.ok(
          got.some((l) => /\\x[89a-f][0-9a-f]/.test(l)),
          `${f}: ${JSON.stringify(got)}`,
        );
        continue;
      }
      assert.deepEqual(got, expected, f);
      compared++;
    }
    assert.ok(compared > 250);
  });
});
