import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { OsDefinition } from "./types.js";
import { checkVariant } from "./variant.js";

const os = (variants: string[]) => ({ name: "deb", variants }) as unknown as OsDefinition;

describe("checkVariant", () => {
  test("Ganeti's three messages", () => {
    assert.throws(() => checkVariant(os([]), "deb+x"), {
      code: "OS_VARIANT",
      message: "OS 'deb' does not support variants ('x' passed)",
    });
    assert.throws(() => checkVariant(os(["a"]), "deb"), {
      code: "OS_VARIANT",
      message: "OS name 'deb' must include a variant",
    });
    assert.throws(() => checkVariant(os(["a"]), "deb+"), {
      code: "OS_VARIANT",
      message: "OS name 'deb+' must include a variant",
    });
    assert.throws(() => checkVariant(os(["a"]), "deb+b"), {
      code: "OS_VARIANT",
      message: "OS 'deb' does not support variant 'b'",
    });
    checkVariant(os([]), "deb");
    checkVariant(os([]), "deb+");
    checkVariant(os(["a", "b"]), "deb+b");
  });
});

describe("checkVariant against Ganeti's _CheckOSVariant", () => {
  test("same verdict and message", async () => {
    const { execFileSync } = await import("node:child_process");
    const fc = (await import("fast-check")).default;
    const word = fc.string({ unit: fc.constantFrom(..."ab+'"), maxLength: 3 });
    const cases = fc.sample(fc.tuple(fc.array(word, { maxLength: 3 }), word), 200);
    const script = `import json, logging, sys
sys.path.insert(0, "/usr/share/ganeti/default")
logging.disable(logging.CRITICAL)
from ganeti import backend, objects
out = []
for variants, suffix in json.loads(sys.stdin.read()):
    os_obj = objects.OS(name="deb", supported_variants=variants)
    try:
        backend._CheckOSVariant(os_obj, "deb" + suffix)
        out.append(None)
    except backend.RPCFail as e:
        out.append(str(e))
print(json.dumps(out))`;
    const theirs = JSON.parse(
      execFileSync("/usr/bin/python3", ["-c", script], { input: JSON.stringify(cases) }).toString(),
    ) as (string | null)[];
    cases.forEach(([variants, suffix], i) => {
      let ours: string | null = null;
      try {
        checkVariant(os(variants), `deb${suffix}`);
      } catch (err) {
        ours = (err as Error).message;
      }
      assert.equal(ours, theirs[i], JSON.stringify([variants, suffix]));
    });
  });
});
