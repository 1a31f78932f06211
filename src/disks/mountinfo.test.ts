import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { parseMountinfo, parseSwaps, unescapeProcField } from "./mountinfo.js";

/** What the kernel's seq_escape does to path fields in /proc/self/mountinfo and /proc/swaps. */
function kernelEscape(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
}

describe("parseMountinfo", () => {
  test("reads the fields of proc(5)'s example line", () => {
    const line = "36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3 /dev/root rw,errors=continue";
    assert.deepEqual(parseMountinfo(line), [
      { dev: "98:0", mountPoint: "/mnt/parent", fsType: "ext3", source: "/dev/root" },
    ]);
  });

  test("skips blank and malformed lines", () => {
    assert.deepEqual(parseMountinfo("\n1 2 3\n36 35 98:0 / /x rw - ext4\n"), []);
  });

  test("reads this machine's own table, / included", () => {
    const entries = parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8"));
    assert.ok(entries.some((e) => e.mountPoint === "/"));
    for (const e of entries) assert.match(e.dev, /^\d+:\d+$/);
  });

  test("mount points and sources round-trip through the kernel's escaping", () => {
    const path = fc.string({ unit: "grapheme", minLength: 1 }).map((s) => `/${s}`);
    fc.assert(
      fc.property(
        path,
        path,
        fc.array(fc.constantFrom("shared:1", "master:2", "unbindable")),
        (mnt, src, opt) => {
          const line = [
            "40",
            "1",
            "7:3",
            "/",
            kernelEscape(mnt),
            "rw",
            ...opt,
            "-",
            "ext4",
            kernelEscape(src),
            "rw",
          ];
          assert.deepEqual(parseMountinfo(`${line.join(" ")}\n`), [
            { dev: "7:3", mountPoint: mnt, fsType: "ext4", source: src },
          ]);
        },
      ),
    );
  });
});

describe("parseSwaps", () => {
  test("takes the file names after the header, unescaped", () => {
    const text =
      "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n" +
      "/dev/sda2                               partition\t1048572\t\t0\t\t-2\n" +
      "/swap\\040file\tfile\t\t1024\t\t0\t\t-3\n";
    assert.deepEqual(parseSwaps(text), ["/dev/sda2", "/swap file"]);
    assert.deepEqual(parseSwaps("Filename\tType\tSize\tUsed\tPriority\n"), []);
  });

  test("unescapeProcField leaves other backslashes alone", () => {
    assert.equal(unescapeProcField("a\\134b\\x\\12"), "a\\b\\x\\12");
  });
});
