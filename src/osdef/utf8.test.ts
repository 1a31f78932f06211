import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { pyDecodeUtf8 } from "./utf8.js";

/** Python's bytes.decode("utf-8") for each hex input: ["ok", text] or ["err", str(UnicodeDecodeError)]. */
function python(inputs: string[]): unknown[] {
  const script = `import json, sys
out = []
for h in json.loads(sys.stdin.read()):
    try:
        out.append(["ok", bytes.fromhex(h).decode("utf-8")])
    except UnicodeDecodeError as e:
        out.append(["err", str(e)])
print(json.dumps(out))`;
  const out = execFileSync("/usr/bin/python3", ["-c", script], { input: JSON.stringify(inputs) });
  return JSON.parse(out.toString()) as unknown[];
}

const ours = (hex: string): [string, string] => {
  const r = pyDecodeUtf8(Buffer.from(hex, "hex"));
  return r.ok ? ["ok", r.text] : ["err", r.message];
};

describe("pyDecodeUtf8", () => {
  test("keeps a BOM and decodes strictly", () => {
    assert.deepEqual(pyDecodeUtf8(Buffer.from("\ufeff20\n")), { ok: true, text: "\ufeff20\n" });
    assert.deepEqual(pyDecodeUtf8(Buffer.from([0x32, 0xff])), {
      ok: false,
      message: "'utf-8' codec can't decode byte 0xff in position 1: invalid start byte",
    });
    assert.deepEqual(pyDecodeUtf8(Buffer.from([0x41, 0xe2, 0x82])), {
      ok: false,
      message: "'utf-8' codec can't decode bytes in position 1-2: unexpected end of data",
    });
    assert.deepEqual(pyDecodeUtf8(Buffer.from([0xed, 0xa0, 0x80])), {
      ok: false,
      message: "'utf-8' codec can't decode byte 0xed in position 0: invalid continuation byte",
    });
  });

  test("same verdict and message as Python on random byte strings", () => {
    // Bytes biased towards the lead and continuation bytes where decoders differ.
    const byte = fc.oneof(
      fc.constantFrom(0x41, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef),
      fc.constantFrom(0xf0, 0xf4, 0xf5, 0xff),
      fc.integer({ min: 0, max: 255 }),
    );
    const inputs = fc.sample(
      fc.uint8Array({ maxLength: 6 }).chain(() => fc.array(byte, { maxLength: 6 })),
      600,
    );
    const hexes = inputs.map((b) => Buffer.from(b).toString("hex"));
    const theirs = python(hexes);
    hexes.forEach((h, i) => assert.deepEqual(ours(h), theirs[i], h));
  });
});
