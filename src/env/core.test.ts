import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { OsDefinition } from "../osdef/types.js";
import { coreEnv, osVariant } from "./core.js";

function osDef(apiVersions: number[], variants: string[]): OsDefinition {
  const supported = apiVersions.filter((v) => v === 10 || v === 15 || v === 20);
  return {
    name: "deb",
    path: "/os/deb",
    apiVersions,
    declaredMax: Math.max(...apiVersions),
    apiVersion: Math.max(...supported),
    scripts: {
      create: "/os/deb/create",
      createUntrusted: null,
      export: "e",
      import: "i",
      rename: "r",
      verify: null,
    },
    variants,
    parameters: [],
    trusted: true,
  };
}

const PATH = "/sbin:/bin:/usr/sbin:/usr/bin";

describe("OS_VARIANT", () => {
  const cases: [string, number[], string[], string, string][] = [
    ["API 10 ignores variants even when the name has one", [10], ["x"], "deb+x", ""],
    ["API 10 without variants", [10, 5], [], "deb", ""],
    ["API 15, no variant in the name: the first listed", [15, 10], ["alpha", "beta"], "deb", "alpha"],
    ["API 15, the name's variant", [15], ["alpha", "beta"], "deb+beta", "beta"],
    ["API 15, an unlisted variant is passed unchecked", [15], ["alpha"], "deb+nosuch", "nosuch"],
    ["API 15, an empty variant after + means the first listed", [15], ["alpha"], "deb+", "alpha"],
    ["API 20, no variants.list: always empty", [20], [], "deb+foo", ""],
    ["API 20, split on the first +", [20], ["default"], "deb++weird", "+weird"],
    ["declared 15 and 25: negotiated 15 still has variants", [15, 25], ["def"], "deb", "def"],
  ];
  for (const [label, versions, variants, full, expected] of cases) {
    test(label, () => {
      assert.equal(osVariant(full, osDef(versions, variants)), expected);
    });
  }
});

describe("coreEnv", () => {
  test("exact variables and order", () => {
    const env = coreEnv("deb+minimal", osDef([20, 15, 10], ["default", "minimal"]), {
      osparams: { dhcp: "yes", "root-size": "10G", "weird-Param.name": "x=y" },
      debugLevel: 2,
    });
    assert.deepStrictEqual(Object.entries(env), [
      ["OS_API_VERSION", "20"],
      ["OS_NAME", "deb"],
      ["DEBUG_LEVEL", "2"],
      ["OS_VARIANT", "minimal"],
      ["OSP_DHCP", "yes"],
      ["OSP_ROOT_SIZE", "10G"],
      ["OSP_WEIRD_PARAM.NAME", "x=y"],
      ["PATH", PATH],
    ]);
  });

  test("OS_API_VERSION is the negotiated version, OS_NAME has no variant", () => {
    const env = coreEnv("deb+def", osDef([15, 25], ["def"]), { osparams: {}, debugLevel: 0 });
    assert.deepStrictEqual(env, {
      OS_API_VERSION: "15",
      OS_NAME: "deb",
      DEBUG_LEVEL: "0",
      OS_VARIANT: "def",
      PATH,
    });
  });

  test("API 10: empty variant, no parameters", () => {
    const env = coreEnv("deb", osDef([10], []), { osparams: {}, debugLevel: 0 });
    assert.deepStrictEqual(env, {
      OS_API_VERSION: "10",
      OS_NAME: "deb",
      DEBUG_LEVEL: "0",
      OS_VARIANT: "",
      PATH,
    });
  });

  test("two names for one variable: the first keeps its place, the last value wins", () => {
    const env = coreEnv("deb", osDef([20], []), {
      osparams: { "a-b": "1", z: "2", a_b: "3", A_B: "4" },
      debugLevel: 0,
    });
    assert.deepStrictEqual(Object.entries(env).slice(4, 6), [
      ["OSP_A_B", "4"],
      ["OSP_Z", "2"],
    ]);
  });

  test("parameter values are passed verbatim", () => {
    const value = "  spaces, 'quotes', \"dq\", $HOME, `cmd`, \\n\nnewline ";
    const env = coreEnv("deb", osDef([20], []), { osparams: { p: value }, debugLevel: 0 });
    assert.equal(env.OSP_P, value);
  });
});
