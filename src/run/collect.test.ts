import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";

import { sizeReader, tailBuffer } from "./collect.js";

function sizeOf(chunks: string[]): number | null {
  const r = sizeReader();
  for (const c of chunks) r.push(Buffer.from(c, "latin1"));
  r.end();
  return r.value();
}

describe("sizeReader", () => {
  test("the last number wins, garbage is ignored", () => {
    assert.equal(sizeOf(["1234\n"]), 1234);
    assert.equal(sizeOf(["12", "34", "\n"]), 1234);
    assert.equal(sizeOf(["100\n200\n"]), 200);
    assert.equal(sizeOf(["100\nxyz\n"]), 100);
    assert.equal(sizeOf(["abc\n"]), null);
    assert.equal(sizeOf([]), null);
    assert.equal(sizeOf(["\n\n"]), null);
    assert.equal(sizeOf([" 42 \r\n"]), 42);
    assert.equal(sizeOf(["+1_000\n"]), 1000);
    assert.equal(sizeOf(["-5\n"]), null);
    assert.equal(sizeOf(["99999999999999999999\n"]), null);
  });

  test("an unterminated last line counts (Ganeti's LineSplitter.close)", () => {
    assert.equal(sizeOf(["5\n77"]), 77);
  });

  test("an overlong line is garbage and memory stays bounded", () => {
    assert.equal(sizeOf(["7\n", "1".repeat(100_000), "\n"]), 7);
    assert.equal(sizeOf(["7\n", "1".repeat(100_000)]), 7);
  });

  test("chunking never changes the result", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat().map(String), fc.constantFrom("\n", "x", " ", "\r")), { maxLength: 30 }),
        fc.array(fc.nat({ max: 40 }), { maxLength: 10 }),
        (parts, cuts) => {
          const text = parts.join("");
          const points = [...new Set(cuts.map((c) => Math.min(c, text.length)))].sort((a, b) => a - b);
          const chunks: string[] = [];
          let prev = 0;
          for (const p of [...points, text.length]) {
            chunks.push(text.slice(prev, p));
            prev = p;
          }
          assert.equal(sizeOf(chunks), sizeOf([text]));
        },
      ),
    );
  });
});

describe("tailBuffer", () => {
  test("keeps everything under the limit", () => {
    const b = tailBuffer(10);
    b.push(Buffer.from("abc"));
    b.push(Buffer.from("def"));
    assert.equal(b.text("stdout"), "abcdef");
  });

  test("keeps the last bytes and says what it dropped", () => {
    const b = tailBuffer(4);
    for (const c of ["hello ", "wor", "ld"]) b.push(Buffer.from(c));
    assert.equal(
      b.text("stderr"),
      "[guestos: output truncated, the first 7 bytes of stderr were dropped]\norld",
    );
  });

  test("does not start inside a UTF-8 character", () => {
    const b = tailBuffer(3);
    b.push(Buffer.from("xé€"));
    assert.equal(
      b.text("stdout"),
      "[guestos: output truncated, the first 3 bytes of stdout were dropped]\n€",
    );
  });
});
