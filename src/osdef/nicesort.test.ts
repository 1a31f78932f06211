import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { niceSort, niceSortKey } from "./nicesort.js";

/** Ganeti's utils.NiceSort over each list, in one Python process. */
function ganetiNiceSort(lists: string[][]): string[][] {
  const script = `import json, sys
sys.path.insert(0, "/usr/share/ganeti/default")
from ganeti import utils
print(json.dumps([utils.NiceSort(v) for v in json.loads(sys.stdin.read())]))`;
  return JSON.parse(
    execFileSync("/usr/bin/python3", ["-c", script], { input: JSON.stringify(lists) }).toString(),
  ) as string[][];
}

describe("niceSort", () => {
  test("numbers inside names compare as numbers", () => {
    assert.deepEqual(niceSort(["a11", "a10", "a2", "a1"]), ["a1", "a2", "a10", "a11"]);
    assert.deepEqual(niceSort(["os-10", "os-9", "os", "debian", "Debian"]), [
      "Debian",
      "debian",
      "os",
      "os-9",
      "os-10",
    ]);
    assert.deepEqual(niceSort(["1", "a", "", "01"]), ["", "1", "01", "a"]);
  });

  test("keys: eight runs, then the rest", () => {
    assert.deepEqual(niceSortKey("a1b"), ["a", 1n, "b", null, null, null, null, null, ""]);
    assert.deepEqual(niceSortKey("a1b2c3d4e5"), ["a", 1n, "b", 2n, "c", 3n, "d", 4n, "e5"]);
    assert.deepEqual(niceSortKey("\u0661\u0662x"), [12n, "x", null, null, null, null, null, null, ""]);
  });

  test("sorts by a key function, stably", () => {
    const items = [
      { n: "b2", i: 0 },
      { n: "b10", i: 1 },
      { n: "b02", i: 2 },
    ];
    assert.deepEqual(
      niceSort(items, (x) => x.n).map((x) => x.i),
      [0, 2, 1],
    );
  });

  test("a permutation that is sorted and idempotent", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom(..."ab-09_") })), (xs) => {
        const s = niceSort(xs);
        assert.deepEqual([...s].sort(), [...xs].sort());
        assert.deepEqual(niceSort(s), s);
      }),
    );
  });

  test("same order as Ganeti's NiceSort", () => {
    const unit = fc.constantFrom(..."abZ-_.+ 0123456789\u0661\u{1d7d9}\u00e9\uffff\u{10000}".split(/(?:)/u));
    const lists = fc.sample(fc.array(fc.string({ unit, maxLength: 12 }), { maxLength: 12 }), 300);
    const theirs = ganetiNiceSort(lists);
    lists.forEach((l, i) => assert.deepEqual(niceSort(l), theirs[i], JSON.stringify(l)));
  });
});
