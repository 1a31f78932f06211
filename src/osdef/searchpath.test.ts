import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_SEARCH_PATH, searchPathFrom } from "./searchpath.js";

describe("searchPathFrom", () => {
  test("flag, then environment, then Debian's default", () => {
    const env = { GUESTOS_OS_SEARCH_PATH: "/e1:/e2" };
    assert.deepEqual(searchPathFrom({ flag: "/a:/b", env }), ["/a", "/b"]);
    assert.deepEqual(searchPathFrom({ env }), ["/e1", "/e2"]);
    assert.deepEqual(searchPathFrom({ flag: "", env }), ["/e1", "/e2"]);
    assert.deepEqual(searchPathFrom({ env: {} }), [
      "/srv/ganeti/os",
      "/usr/local/lib/ganeti/os",
      "/usr/lib/ganeti/os",
      "/usr/share/ganeti/os",
    ]);
    assert.deepEqual(searchPathFrom({ env: { GUESTOS_OS_SEARCH_PATH: "" } }), DEFAULT_SEARCH_PATH);
  });

  test("entries are made absolute and normalised; empty ones dropped", () => {
    assert.deepEqual(searchPathFrom({ flag: "/a/../b/::/c/" }), ["/b", "/c"]);
    assert.deepEqual(searchPathFrom({ flag: "rel" }), [`${process.cwd()}/rel`]);
  });

  test("the default is not shared", () => {
    searchPathFrom({ env: {} }).push("/x");
    assert.equal(DEFAULT_SEARCH_PATH.length, 4);
  });

  test("the node config's path comes after the flag and the environment, before the default", () => {
    const configured = ["/srv/os", "/opt/os"];
    assert.deepEqual(searchPathFrom({ env: {}, configured }), configured);
    assert.deepEqual(searchPathFrom({ env: {}, configured: [] }), []);
    assert.deepEqual(searchPathFrom({ env: {}, configured: null }), DEFAULT_SEARCH_PATH);
    assert.deepEqual(searchPathFrom({ env: { GUESTOS_OS_SEARCH_PATH: "/e" }, configured }), ["/e"]);
    assert.deepEqual(searchPathFrom({ flag: "/f", env: { GUESTOS_OS_SEARCH_PATH: "/e" }, configured }), [
      "/f",
    ]);
    searchPathFrom({ env: {}, configured }).push("/x");
    assert.deepEqual(configured, ["/srv/os", "/opt/os"], "not shared");
  });
});
