import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { OS_NAME_MASK, isValidOsName, splitNameVariant } from "./names.js";

/** Runs Ganeti's own code (`f(v)` defined in `body`) over every input in one Python process. */
function ganeti(body: string, inputs: unknown[]): unknown[] {
  const script = `import json, sys\nsys.path.insert(0, "/usr/share/ganeti/default")\n${body}\nvals = json.loads(sys.stdin.read())\nprint(json.dumps([f(v) for v in vals]))`;
  const out = execFileSync("/usr/bin/python3", ["-c", script], { input: JSON.stringify(inputs) });
  return JSON.parse(out.toString()) as unknown[];
}

const nameish = fc.string({ unit: fc.constantFrom(..."aZ09_-+.\n /\u00e9"), maxLength: 8 });

describe("isValidOsName", () => {
  test("Ganeti's mask", () => {
    assert.equal(OS_NAME_MASK.source, "^[a-zA-Z0-9_-]+$");
    for (const ok of ["debian", "deb-11_x", "0", "A-"]) assert.equal(isValidOsName(ok), true, ok);
    for (const bad of ["", "deb+x", "lost+found", "a.b", "a/b", "..", "d\u00e9b", "a b", "a\n\n", "\n"]) {
      assert.equal(isValidOsName(bad), false, JSON.stringify(bad));
    }
    // Python's "$" also matches before a final newline.
    assert.equal(isValidOsName("deb\n"), true);
  });

  test("agrees with Ganeti's EXT_PLUGIN_MASK.match", () => {
    const inputs = fc.sample(nameish, 400);
    const theirs = ganeti(
      "from ganeti import constants\ndef f(v): return constants.EXT_PLUGIN_MASK.match(v) is not None",
      inputs,
    );
    inputs.forEach((s, i) => assert.equal(isValidOsName(s), theirs[i], JSON.stringify(s)));
  });
});

describe("splitNameVariant", () => {
  test("splits on the first +", () => {
    assert.deepEqual(splitNameVariant("deb"), { name: "deb", variant: "" });
    assert.deepEqual(splitNameVariant("deb+min"), { name: "deb", variant: "min" });
    assert.deepEqual(splitNameVariant("a++b"), { name: "a", variant: "+b" });
    assert.deepEqual(splitNameVariant("deb+"), { name: "deb", variant: "" });
    assert.deepEqual(splitNameVariant("+x"), { name: "", variant: "x" });
  });

  test("name has no +, and name + variant rebuild the input", () => {
    fc.assert(
      fc.property(nameish, (s) => {
        const { name, variant } = splitNameVariant(s);
        assert.ok(!name.includes("+"));
        assert.equal(s.includes("+") ? `${name}+${variant}` : name, s);
      }),
    );
  });

  test("agrees with objects.OS.SplitNameVariant", () => {
    const inputs = fc.sample(nameish, 300);
    const theirs = ganeti(
      "from ganeti import objects\ndef f(v): return objects.OS.SplitNameVariant(v)",
      inputs,
    );
    inputs.forEach((s, i) => {
      const { name, variant } = splitNameVariant(s);
      assert.deepEqual([name, variant], theirs[i], JSON.stringify(s));
    });
  });
});
