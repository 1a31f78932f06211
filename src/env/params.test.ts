import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { envVarName, fillDict, osParamsFor, setKey, type ScriptKind } from "./params.js";
import { parseInstanceSpec } from "./parse.js";

const spec = parseInstanceSpec({
  name: "i1",
  os: "deb",
  osparams: { shared: "public", pub: "p", both: "public" },
  osparamsSecret: { shared: "secret", sec: "s", both: "secret" },
  osparamsPrivate: { priv: "v", both: "private" },
});

describe("osParamsFor", () => {
  for (const kind of ["create", "reinstall", "verify"] as ScriptKind[]) {
    test(`${kind}: public, secret overrides, private wins`, () => {
      assert.deepStrictEqual(Object.entries(osParamsFor(kind, spec)), [
        ["shared", "secret"],
        ["pub", "p"],
        ["both", "private"],
        ["sec", "s"],
        ["priv", "v"],
      ]);
    });
  }

  for (const kind of ["rename", "import", "export"] as ScriptKind[]) {
    test(`${kind}: public, then private wins, no secrets`, () => {
      assert.deepStrictEqual(Object.entries(osParamsFor(kind, spec)), [
        ["shared", "public"],
        ["pub", "p"],
        ["both", "private"],
        ["priv", "v"],
      ]);
    });
  }

  test("does not change the spec", () => {
    osParamsFor("create", spec);
    assert.deepStrictEqual(spec.osparams, { shared: "public", pub: "p", both: "public" });
  });
});

describe("envVarName", () => {
  test("upper-cases and maps dashes, keeps everything else", () => {
    assert.equal(envVarName("dhcp"), "OSP_DHCP");
    assert.equal(envVarName("os-install-package"), "OSP_OS_INSTALL_PACKAGE");
    assert.equal(envVarName("weird-Param.name"), "OSP_WEIRD_PARAM.NAME");
    assert.equal(envVarName("x y"), "OSP_X Y");
  });
});

describe("fillDict and setKey", () => {
  test("existing keys keep their place", () => {
    assert.deepStrictEqual(Object.entries(fillDict({ a: "1", b: "2" }, { c: "3", a: "4" })), [
      ["a", "4"],
      ["b", "2"],
      ["c", "3"],
    ]);
  });

  test("__proto__ is an ordinary key", () => {
    const out: Record<string, string> = {};
    setKey(out, "__proto__", "x");
    assert.deepStrictEqual(Object.entries(out), [["__proto__", "x"]]);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });
});
