import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openNode, setOsPrivateParams } from "../node/index.js";
import { fullOsparams } from "./fill.js";

test("fullOsparams refuses a key at two visibilities with SimpleFillOS's message", async () => {
  const home = await mkdtemp(join(tmpdir(), "guestos-fill-"));
  const node = await openNode(home);
  try {
    node.config = { ...node.config, osparams: { deb: { a: "1", b: "2" } } };
    setOsPrivateParams(node.db, "deb", { b: "x" });
    // The text Ganeti 3.0's Cluster.SimpleFillOS raises for the same input (copied from a run).
    assert.throws(
      () => fullOsparams(node, "deb+v", { public: { c: "3" }, private: { c: "y" }, secret: { a: "s" } }),
      {
        code: "OS_PARAMS_REPEATED",
        message:
          "Cannot assign multiple values to OS parameters.\n\n      Conflicting OS parameters that would have been " +
          "set by this operation:\n      - at public visibility:  'a', 'b', 'c'\n      - at private visibility: " +
          "'b', 'c'\n      - at secret visibility:  'a'\n      ",
      },
    );
    node.config = { ...node.config, osparams: { deb: { a: "1" }, "deb+v": { a: "2" } } };
    assert.deepEqual(
      fullOsparams(node, "deb+v", { public: { c: "3" }, private: { d: "y" }, secret: { e: "s" } }),
      {
        a: "2",
        c: "3",
        b: "x",
        d: "y",
        e: "s",
      },
    );
  } finally {
    node.close();
    await rm(home, { recursive: true, force: true });
  }
});
