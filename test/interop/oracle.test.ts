import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { InstanceSpec } from "../../src/env/spec.js";
import {
  askOracle,
  DEBIAN_OS_SEARCH_PATH,
  requireGaneti,
  toOracleInstance,
  type OracleRequest,
} from "./ganeti.js";

// The harness itself: the spec → oracle mapping, and the batch protocol of oracle/oracle.py.

const SPEC: InstanceSpec = {
  name: "h.example.com",
  os: "noop",
  hypervisor: "kvm",
  uuid: "inst-uuid",
  ctime: 1700000000,
  mtime: 1700000000.5,
  primaryNode: "node-uuid-1",
  secondaryNodes: ["node-uuid-2"],
  hvparams: { disk_type: "paravirtual", acpi: true },
  beparams: { maxmem: 128 },
  osparams: { a: "1" },
  osparamsPrivate: { b: "2" },
  osparamsSecret: { c: "3" },
  debugLevel: 1,
  disks: [
    {
      path: "/srv/f0",
      uri: null,
      access: "kernel",
      mode: "rw",
      uuid: "d0",
      name: "root",
      size: 10,
      template: "sharedfile",
      fileDriver: "blktap",
    },
    {
      path: null,
      uri: "rbd:p/x",
      access: "userspace",
      mode: "ro",
      uuid: "d1",
      name: null,
      size: 20,
      template: "rbd",
      fileDriver: "loop",
    },
    {
      path: "/dev/rbd0",
      uri: "rbd:p/y",
      access: "kernel",
      mode: "rw",
      uuid: "d2",
      name: null,
      size: 30,
      template: "rbd",
      fileDriver: "loop",
    },
  ],
  nics: [
    {
      mac: "aa:00:00:00:00:01",
      ip: null,
      mode: "routed",
      link: "rt",
      uuid: "n0",
      name: null,
      network: {
        name: "net",
        uuid: "net-uuid",
        subnet: "192.0.2.0/24",
        gateway: null,
        subnet6: null,
        gateway6: "fe80::1",
        macPrefix: null,
        tags: ["x"],
      },
    },
  ],
};

describe("the Ganeti oracle harness", () => {
  test("toOracleInstance maps templates, drivers, access and networks to Ganeti's names", () => {
    const inst = toOracleInstance(SPEC, ["/os"], { oldName: "old.example.com" });
    assert.deepEqual(
      inst.disks.map((d) => [d.dev_type, d.logical_id, d.access]),
      [
        ["sharedfile", ["blktap", "/srv/f0"], "kernelspace"],
        ["rbd", ["rbd", null], "userspace"],
        ["rbd", ["rbd", "/dev/rbd0"], "kernelspace"],
      ],
    );
    assert.deepEqual(inst.nics[0]!.netinfo, {
      name: "net",
      uuid: "net-uuid",
      network: "192.0.2.0/24",
      gateway: null,
      network6: null,
      gateway6: "fe80::1",
      mac_prefix: null,
      tags: ["x"],
    });
    assert.equal(inst.old_name, "old.example.com");
    assert.equal(inst.fill_cluster_defaults, false);
    assert.deepEqual(inst.os_search_path, ["/os"]);
  });

  test("a batch answers in order; stub devices: no path, URI only for userspace, times are floats", async (t) => {
    if (!requireGaneti(t)) return;
    const instance = toOracleInstance(SPEC, DEBIAN_OS_SEARCH_PATH, { operations: ["create", "export"] });
    const [d, e, v] = await askOracle([
      { kind: "diagnose", search_path: ["/nonexistent"] },
      { kind: "env", instance },
      { kind: "validate", name: "nosuch", search_path: ["/nonexistent"], osparams: {} },
    ]);
    assert.deepEqual([d.kind, e.kind, v.kind], ["diagnose", "env", "validate"]);
    assert.deepEqual(d.oses, []);
    assert.deepEqual(v, { ...v, ok: false, message: "Directory for OS nosuch not found in search path" });
    const create = e.operations.create;
    assert.ok(create !== undefined && "env" in create);
    const env = create.env;
    assert.equal(env.INSTANCE_CTIME, "1700000000.0");
    assert.equal(env.INSTANCE_MTIME, "1700000000.5");
    assert.equal(env.DISK_0_BACKEND_TYPE, "file:blktap");
    assert.equal("DISK_1_PATH" in env, false);
    assert.equal(env.DISK_1_URI, "rbd:p/x");
    assert.equal(env.DISK_2_PATH, "/dev/rbd0");
    assert.equal("DISK_2_URI" in env, false);
    assert.equal(env.OSP_C, "3");
    assert.equal(Object.keys(e.operations).join(","), "create,export");
  });

  test("a request the oracle cannot answer rejects the batch with the oracle's message", async (t) => {
    if (!requireGaneti(t)) return;
    const bad = { kind: "nonsense" } as unknown as OracleRequest;
    await assert.rejects(askOracle([bad]), /request 0 \(nonsense\): unknown request kind 'nonsense'/);
  });
});
