import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { OsDefinition } from "../osdef/types.js";
import { instanceEnv } from "./instance.js";
import { parseInstanceSpec } from "./parse.js";
import type { InstanceSpecInput } from "./spec.js";

const OS: OsDefinition = {
  name: "deb",
  path: "/os/deb",
  apiVersions: [20],
  declaredMax: 20,
  apiVersion: 20,
  scripts: {
    create: "/os/deb/create",
    createUntrusted: null,
    export: "e",
    import: "i",
    rename: "r",
    verify: "v",
  },
  variants: [],
  parameters: [],
  trusted: true,
};

function env(doc: Partial<InstanceSpecInput>): Record<string, string> {
  const spec = parseInstanceSpec({
    name: "i1",
    os: "deb",
    uuid: "u",
    ctime: 1,
    mtime: 2,
    primaryNode: "p",
    ...doc,
  });
  return instanceEnv(spec, OS, { osparams: {}, debugLevel: 0 });
}

/** The variables of `env` that start with `prefix`, in order. */
function part(all: Record<string, string>, prefix: string): Record<string, string> {
  return Object.fromEntries(Object.entries(all).filter(([k]) => k.startsWith(prefix)));
}

function assertPart(actual: Record<string, string>, expected: Record<string, string>): void {
  assert.deepStrictEqual(actual, expected);
  assert.deepStrictEqual(Object.keys(actual), Object.keys(expected));
}

function disk0(d: NonNullable<InstanceSpecInput["disks"]>[number], hvparams = {}): Record<string, string> {
  return part(env({ disks: [{ uuid: "d0", ...d }], hvparams }), "DISK_0_");
}

function nic0(n: NonNullable<InstanceSpecInput["nics"]>[number], hvparams = {}): Record<string, string> {
  return part(env({ nics: [{ uuid: "n0", mac: "aa:00:00:00:00:01", ...n }], hvparams }), "NIC_0_");
}

const D0 = { DISK_0_ACCESS: "rw", DISK_0_UUID: "d0", DISK_0_SIZE: "100" };
const N0 = { NIC_0_MAC: "aa:00:00:00:00:01", NIC_0_UUID: "n0" };

describe("disk variables", () => {
  test("a /dev path defaults to blockdev", () => {
    assertPart(disk0({ path: "/dev/sdb", size: 100 }), {
      ...D0,
      DISK_0_PATH: "/dev/sdb",
      DISK_0_BACKEND_TYPE: "block",
    });
  });

  test("any other path defaults to a loop file", () => {
    assertPart(disk0({ path: "/srv/img", size: 100 }), {
      ...D0,
      DISK_0_PATH: "/srv/img",
      DISK_0_BACKEND_TYPE: "file:loop",
    });
  });

  for (const template of ["plain", "drbd", "blockdev", "rbd", "ext"] as const) {
    test(`${template} is a block backend`, () => {
      assertPart(disk0({ path: "/x/y", size: 100, template }), {
        ...D0,
        DISK_0_PATH: "/x/y",
        DISK_0_BACKEND_TYPE: "block",
      });
    });
  }

  for (const template of ["file", "sharedfile", "gluster"] as const) {
    for (const fileDriver of ["loop", "blktap", "blktap2"] as const) {
      test(`${template} with ${fileDriver} is file:${fileDriver}`, () => {
        assertPart(disk0({ path: "/dev/loop0", size: 100, template, fileDriver }), {
          ...D0,
          DISK_0_PATH: "/dev/loop0",
          DISK_0_BACKEND_TYPE: `file:${fileDriver}`,
        });
      });
    }
  }

  test("userspace access with a path and a uri gives both", () => {
    assertPart(
      disk0({ path: "/dev/rbd0", uri: "rbd:p/v", access: "userspace", size: 100, template: "rbd" }),
      {
        ...D0,
        DISK_0_PATH: "/dev/rbd0",
        DISK_0_URI: "rbd:p/v",
        DISK_0_BACKEND_TYPE: "block",
      },
    );
  });

  test("userspace-only access gives no path", () => {
    assertPart(disk0({ uri: "gluster://h/v/x", access: "userspace", size: 100, template: "ext" }), {
      ...D0,
      DISK_0_URI: "gluster://h/v/x",
      DISK_0_BACKEND_TYPE: "block",
    });
  });

  test("a uri without userspace access is not exported", () => {
    assertPart(disk0({ path: "/dev/rbd0", uri: "rbd:p/v", size: 100, template: "rbd" }), {
      ...D0,
      DISK_0_PATH: "/dev/rbd0",
      DISK_0_BACKEND_TYPE: "block",
    });
  });

  test("mode ro, name set, empty name and null name", () => {
    assertPart(disk0({ path: "/dev/sdb", size: 100, mode: "ro", name: "data" }), {
      ...D0,
      DISK_0_ACCESS: "ro",
      DISK_0_PATH: "/dev/sdb",
      DISK_0_NAME: "data",
      DISK_0_BACKEND_TYPE: "block",
    });
    const plain = { ...D0, DISK_0_PATH: "/dev/sdb", DISK_0_BACKEND_TYPE: "block" };
    assertPart(disk0({ path: "/dev/sdb", size: 100, name: "" }), plain);
    assertPart(disk0({ path: "/dev/sdb", size: 100, name: null }), plain);
  });

  test("FRONTEND_TYPE iff hvparams has disk_type, rendered with str()", () => {
    const d = { path: "/dev/sdb", size: 100 };
    const expected = (v: string) => ({
      ...D0,
      DISK_0_PATH: "/dev/sdb",
      DISK_0_FRONTEND_TYPE: v,
      DISK_0_BACKEND_TYPE: "block",
    });
    assertPart(disk0(d, { disk_type: "scsi" }), expected("scsi"));
    assertPart(disk0(d, { disk_type: null }), expected("None"));
    assertPart(disk0(d, { disk_type: "" }), expected(""));
    assertPart(disk0(d, { nic_type: "e1000" }), {
      ...D0,
      DISK_0_PATH: "/dev/sdb",
      DISK_0_BACKEND_TYPE: "block",
    });
  });

  test("the size is decimal MiB and DISK_COUNT counts disks", () => {
    const all = env({
      disks: [
        { path: "/dev/a", size: 0 },
        { path: "/dev/b", size: 1048576 },
      ],
    });
    assert.equal(all.DISK_COUNT, "2");
    assert.equal(all.DISK_0_SIZE, "0");
    assert.equal(all.DISK_1_SIZE, "1048576");
  });

  test("the same frontend type goes to every disk", () => {
    const all = env({
      disks: [
        { path: "/dev/a", size: 1 },
        { path: "/dev/b", size: 2 },
      ],
      hvparams: { disk_type: "ide" },
    });
    assert.equal(all.DISK_0_FRONTEND_TYPE, "ide");
    assert.equal(all.DISK_1_FRONTEND_TYPE, "ide");
  });
});

describe("NIC variables", () => {
  test("bridged with a link: BRIDGE and LINK", () => {
    assertPart(nic0({ link: "br0" }), {
      ...N0,
      NIC_0_MODE: "bridged",
      NIC_0_BRIDGE: "br0",
      NIC_0_LINK: "br0",
    });
  });

  test("bridged without a link: empty BRIDGE, no LINK", () => {
    assertPart(nic0({}), { ...N0, NIC_0_MODE: "bridged", NIC_0_BRIDGE: "" });
    assertPart(nic0({ link: "" }), { ...N0, NIC_0_MODE: "bridged", NIC_0_BRIDGE: "" });
    assertPart(nic0({ link: null }), { ...N0, NIC_0_MODE: "bridged", NIC_0_BRIDGE: "" });
  });

  test("routed, openvswitch and ext: LINK only when set, never BRIDGE", () => {
    assertPart(nic0({ mode: "routed", link: "100" }), { ...N0, NIC_0_MODE: "routed", NIC_0_LINK: "100" });
    assertPart(nic0({ mode: "openvswitch" }), { ...N0, NIC_0_MODE: "openvswitch" });
    assertPart(nic0({ mode: "ext", link: "x" }), { ...N0, NIC_0_MODE: "ext", NIC_0_LINK: "x" });
  });

  test("IP and NAME only when set, before MODE", () => {
    assertPart(nic0({ mode: "routed", ip: "192.0.2.1", name: "eth0" }), {
      ...N0,
      NIC_0_NAME: "eth0",
      NIC_0_IP: "192.0.2.1",
      NIC_0_MODE: "routed",
    });
    assertPart(nic0({ mode: "routed", ip: "", name: "" }), { ...N0, NIC_0_MODE: "routed" });
    assertPart(nic0({ mode: "routed", ip: null, name: null }), { ...N0, NIC_0_MODE: "routed" });
  });

  test("a network with only a name: NAME, UUID and empty TAGS", () => {
    assertPart(nic0({ mode: "routed", network: { name: "net", uuid: "nu" } }), {
      ...N0,
      NIC_0_MODE: "routed",
      NIC_0_NETWORK_NAME: "net",
      NIC_0_NETWORK_UUID: "nu",
      NIC_0_NETWORK_TAGS: "",
    });
  });

  test("a network with every field, then FRONTEND_TYPE last", () => {
    const network = {
      name: "net",
      uuid: "nu",
      subnet: "203.0.113.0/24",
      gateway: "203.0.113.1",
      subnet6: "2001:db8::/64",
      gateway6: "2001:db8::1",
      macPrefix: "aa:bb:cc",
      tags: ["a", "b", "a"],
    };
    assertPart(nic0({ link: "br1", ip: "203.0.113.5", network }, { nic_type: "virtio" }), {
      ...N0,
      NIC_0_IP: "203.0.113.5",
      NIC_0_MODE: "bridged",
      NIC_0_BRIDGE: "br1",
      NIC_0_LINK: "br1",
      NIC_0_NETWORK_NAME: "net",
      NIC_0_NETWORK_UUID: "nu",
      NIC_0_NETWORK_TAGS: "a b",
      NIC_0_NETWORK_SUBNET: "203.0.113.0/24",
      NIC_0_NETWORK_GATEWAY: "203.0.113.1",
      NIC_0_NETWORK_SUBNET6: "2001:db8::/64",
      NIC_0_NETWORK_GATEWAY6: "2001:db8::1",
      NIC_0_NETWORK_MAC_PREFIX: "aa:bb:cc",
      NIC_0_FRONTEND_TYPE: "virtio",
    });
  });

  test("empty or null network fields are left out", () => {
    const network = {
      name: "net",
      uuid: "nu",
      subnet: "",
      gateway: null,
      subnet6: "2001:db8::/64",
      macPrefix: "",
    };
    assertPart(nic0({ mode: "routed", network }), {
      ...N0,
      NIC_0_MODE: "routed",
      NIC_0_NETWORK_NAME: "net",
      NIC_0_NETWORK_UUID: "nu",
      NIC_0_NETWORK_TAGS: "",
      NIC_0_NETWORK_SUBNET6: "2001:db8::/64",
    });
  });

  test("no FAMILY and no VLAN ever", () => {
    const all = env({ nics: [{ mode: "openvswitch", link: "sw", network: { name: "n" } }] });
    assert.deepEqual(
      Object.keys(all).filter((k) => k.includes("FAMILY") || k.includes("VLAN")),
      [],
    );
    assert.equal(all.NIC_COUNT, "1");
  });
});

describe("instance variables", () => {
  test("times are Python floats, secondary nodes space-joined, hypervisor as given", () => {
    const all = env({
      ctime: 1714470000.123456,
      mtime: 1e16,
      secondaryNodes: ["s1", "s2", "s3"],
      hypervisor: "xen-pvm",
    });
    assertPart(part(all, "INSTANCE_"), {
      INSTANCE_NAME: "i1",
      INSTANCE_OS: "deb",
      INSTANCE_UUID: "u",
      INSTANCE_CTIME: "1714470000.123456",
      INSTANCE_MTIME: "1e+16",
      INSTANCE_PRIMARY_NODE: "p",
      INSTANCE_SECONDARY_NODES: "s1 s2 s3",
    });
    assert.equal(all.HYPERVISOR, "xen-pvm");
  });

  test("BE before HV, keys verbatim, values with Python str()", () => {
    const all = env({
      hvparams: {
        Kernel_Path: "/boot/vmlinuz",
        "root-path": "",
        boot_order: ["disk", "cdrom"],
        ratio: 0.5,
        n: null,
      },
      beparams: { maxmem: 1024, auto_balance: false, always_failover: true },
    });
    const tail = Object.fromEntries(Object.entries(all).slice(-8));
    assertPart(tail, {
      INSTANCE_BE_maxmem: "1024",
      INSTANCE_BE_auto_balance: "False",
      INSTANCE_BE_always_failover: "True",
      INSTANCE_HV_Kernel_Path: "/boot/vmlinuz",
      "INSTANCE_HV_root-path": "",
      INSTANCE_HV_boot_order: "['disk', 'cdrom']",
      INSTANCE_HV_ratio: "0.5",
      INSTANCE_HV_n: "None",
    });
  });
});
