import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isGuestosError } from "../errors.js";
import type { OsDefinition } from "../osdef/types.js";
import { parseInstanceSpec } from "./parse.js";
import { scriptEnv } from "./script.js";
import type { InstanceSpec, InstanceSpecInput } from "./spec.js";

function osDef(over: Partial<OsDefinition> = {}): OsDefinition {
  const path = "/srv/ganeti/os/deb";
  return {
    name: "deb",
    path,
    apiVersions: [20, 15, 10],
    declaredMax: 20,
    apiVersion: 20,
    scripts: {
      create: `${path}/create`,
      createUntrusted: null,
      export: `${path}/export`,
      import: `${path}/import`,
      rename: `${path}/rename`,
      verify: `${path}/verify`,
    },
    variants: ["default", "minimal"],
    parameters: [],
    trusted: true,
    ...over,
  };
}

const FIXED = { uuid: "inst-uuid", ctime: 1700000000, mtime: 1700000500.25, primaryNode: "node-uuid-1" };

function spec(doc: Partial<InstanceSpecInput>): InstanceSpec {
  return parseInstanceSpec({ name: "web1.example.com", os: "deb+default", ...FIXED, ...doc });
}

/** A copy of `env` without `keys`, order kept. */
function without(env: Record<string, string>, ...keys: string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !keys.includes(k)));
}

function assertEnv(actual: Record<string, string>, expected: Record<string, string>): void {
  assert.deepStrictEqual(actual, expected);
  assert.deepStrictEqual(Object.keys(actual), Object.keys(expected), "variables are in Ganeti's order");
}

const FULL: Partial<InstanceSpecInput> = {
  hypervisor: "kvm",
  secondaryNodes: ["node-uuid-2", "node-uuid-3"],
  hvparams: {
    disk_type: "paravirtual",
    nic_type: "e1000",
    kernel_args: "ro",
    acpi: true,
    cpu_mask: "all",
    vnc_bind_address: null,
    usb_devices: ["a", "b"],
  },
  beparams: { maxmem: 512, minmem: 256, vcpus: 2, auto_balance: true },
  osparams: { dhcp: "yes", "root-size": "10G" },
  osparamsPrivate: { password: "priv" },
  osparamsSecret: { token: "t0k3n", dhcp: "sec" },
  debugLevel: 1,
  disks: [
    { path: "/dev/xenvg/root", size: 10240, uuid: "d0", name: "root", template: "plain" },
    { path: "/srv/ganeti/file-storage/web1/disk1", size: 2048, uuid: "d1", mode: "ro" },
    { uri: "rbd:rbd/web1-2", access: "userspace", size: 4096, uuid: "d2", template: "rbd" },
  ],
  nics: [
    { mac: "AA:00:00:11:22:33", ip: "192.0.2.10", link: "br0", uuid: "n0", name: "eth0" },
    {
      mac: "aa:00:00:44:55:66",
      mode: "routed",
      link: "100",
      uuid: "n1",
      network: {
        name: "net-a",
        uuid: "net-uuid",
        subnet: "203.0.113.0/24",
        gateway: "203.0.113.1",
        tags: ["t1", "t2"],
      },
    },
    { mac: "aa:00:00:77:88:99", mode: "openvswitch", uuid: "n2" },
  ],
};

const FULL_CREATE: Record<string, string> = {
  OS_API_VERSION: "20",
  OS_NAME: "deb",
  DEBUG_LEVEL: "1",
  OS_VARIANT: "default",
  OSP_DHCP: "sec",
  OSP_ROOT_SIZE: "10G",
  OSP_TOKEN: "t0k3n",
  OSP_PASSWORD: "priv",
  PATH: "/sbin:/bin:/usr/sbin:/usr/bin",
  INSTANCE_NAME: "web1.example.com",
  INSTANCE_OS: "deb+default",
  INSTANCE_UUID: "inst-uuid",
  INSTANCE_CTIME: "1700000000.0",
  INSTANCE_MTIME: "1700000500.25",
  INSTANCE_PRIMARY_NODE: "node-uuid-1",
  HYPERVISOR: "kvm",
  DISK_COUNT: "3",
  NIC_COUNT: "3",
  INSTANCE_SECONDARY_NODES: "node-uuid-2 node-uuid-3",
  DISK_0_ACCESS: "rw",
  DISK_0_UUID: "d0",
  DISK_0_SIZE: "10240",
  DISK_0_PATH: "/dev/xenvg/root",
  DISK_0_NAME: "root",
  DISK_0_FRONTEND_TYPE: "paravirtual",
  DISK_0_BACKEND_TYPE: "block",
  DISK_1_ACCESS: "ro",
  DISK_1_UUID: "d1",
  DISK_1_SIZE: "2048",
  DISK_1_PATH: "/srv/ganeti/file-storage/web1/disk1",
  DISK_1_FRONTEND_TYPE: "paravirtual",
  DISK_1_BACKEND_TYPE: "file:loop",
  DISK_2_ACCESS: "rw",
  DISK_2_UUID: "d2",
  DISK_2_SIZE: "4096",
  DISK_2_URI: "rbd:rbd/web1-2",
  DISK_2_FRONTEND_TYPE: "paravirtual",
  DISK_2_BACKEND_TYPE: "block",
  NIC_0_MAC: "aa:00:00:11:22:33",
  NIC_0_UUID: "n0",
  NIC_0_NAME: "eth0",
  NIC_0_IP: "192.0.2.10",
  NIC_0_MODE: "bridged",
  NIC_0_BRIDGE: "br0",
  NIC_0_LINK: "br0",
  NIC_0_FRONTEND_TYPE: "e1000",
  NIC_1_MAC: "aa:00:00:44:55:66",
  NIC_1_UUID: "n1",
  NIC_1_MODE: "routed",
  NIC_1_LINK: "100",
  NIC_1_NETWORK_NAME: "net-a",
  NIC_1_NETWORK_UUID: "net-uuid",
  NIC_1_NETWORK_TAGS: "t1 t2",
  NIC_1_NETWORK_SUBNET: "203.0.113.0/24",
  NIC_1_NETWORK_GATEWAY: "203.0.113.1",
  NIC_1_FRONTEND_TYPE: "e1000",
  NIC_2_MAC: "aa:00:00:77:88:99",
  NIC_2_UUID: "n2",
  NIC_2_MODE: "openvswitch",
  NIC_2_FRONTEND_TYPE: "e1000",
  INSTANCE_BE_maxmem: "512",
  INSTANCE_BE_minmem: "256",
  INSTANCE_BE_vcpus: "2",
  INSTANCE_BE_auto_balance: "True",
  INSTANCE_HV_disk_type: "paravirtual",
  INSTANCE_HV_nic_type: "e1000",
  INSTANCE_HV_kernel_args: "ro",
  INSTANCE_HV_acpi: "True",
  INSTANCE_HV_cpu_mask: "all",
  INSTANCE_HV_vnc_bind_address: "None",
  INSTANCE_HV_usb_devices: "['a', 'b']",
};

/** The OSP_ values of the scripts that get no secret parameters. */
const NO_SECRET = { OSP_DHCP: "yes", OSP_ROOT_SIZE: "10G", OSP_PASSWORD: "priv" };

/** What import and export share: LC_ALL=C first, no secret parameters, DEBUG_LEVEL 0. */
function importExportBase(): Record<string, string> {
  return { LC_ALL: "C", ...without(FULL_CREATE, "OSP_TOKEN"), ...NO_SECRET, DEBUG_LEVEL: "0" };
}

describe("scriptEnv on a full instance", () => {
  const s = spec(FULL);

  test("create", () => {
    assertEnv(scriptEnv("create", osDef(), s), FULL_CREATE);
  });

  test("reinstall adds INSTANCE_REINSTALL=1 at the end", () => {
    assertEnv(scriptEnv("reinstall", osDef(), s), { ...FULL_CREATE, INSTANCE_REINSTALL: "1" });
  });

  test("rename: no secret parameters, keeps the debug level, OLD_INSTANCE_NAME at the end", () => {
    const expected = {
      ...without(FULL_CREATE, "OSP_TOKEN"),
      ...NO_SECRET,
      OLD_INSTANCE_NAME: "web0.example.com",
    };
    assertEnv(scriptEnv("rename", osDef(), s, { oldName: "web0.example.com" }), expected);
  });

  test("import of a disk with a kernel path", () => {
    const expected = {
      ...importExportBase(),
      IMPORT_DEVICE: "/dev/xenvg/root",
      IMPORT_DISK_PATH: "/dev/xenvg/root",
      IMPORT_INDEX: "0",
    };
    assertEnv(scriptEnv("import", osDef(), s, { disk: 0 }), expected);
  });

  test("import of a userspace-only disk gets IMPORT_DISK_URI and no device", () => {
    const expected = { ...importExportBase(), IMPORT_DISK_URI: "rbd:rbd/web1-2", IMPORT_INDEX: "2" };
    assertEnv(scriptEnv("import", osDef(), s, { disk: 2 }), expected);
  });

  test("export of a file disk", () => {
    const path = "/srv/ganeti/file-storage/web1/disk1";
    const expected = {
      ...importExportBase(),
      EXPORT_DEVICE: path,
      EXPORT_DISK_PATH: path,
      EXPORT_INDEX: "1",
    };
    assertEnv(scriptEnv("export", osDef(), s, { disk: 1 }), expected);
  });

  test("export of a userspace-only disk", () => {
    const expected = { ...importExportBase(), EXPORT_DISK_URI: "rbd:rbd/web1-2", EXPORT_INDEX: "2" };
    assertEnv(scriptEnv("export", osDef(), s, { disk: 2 }), expected);
  });

  test("verify: core env only, public + secret + private, DEBUG_LEVEL 0", () => {
    assertEnv(scriptEnv("verify", osDef(), s), {
      OS_API_VERSION: "20",
      OS_NAME: "deb",
      DEBUG_LEVEL: "0",
      OS_VARIANT: "default",
      OSP_DHCP: "sec",
      OSP_ROOT_SIZE: "10G",
      OSP_TOKEN: "t0k3n",
      OSP_PASSWORD: "priv",
      PATH: "/sbin:/bin:/usr/sbin:/usr/bin",
    });
  });
});

describe("scriptEnv on a minimal instance", () => {
  const MINIMAL_CREATE = {
    OS_API_VERSION: "20",
    OS_NAME: "deb",
    DEBUG_LEVEL: "0",
    OS_VARIANT: "default",
    PATH: "/sbin:/bin:/usr/sbin:/usr/bin",
    INSTANCE_NAME: "web1.example.com",
    INSTANCE_OS: "deb+default",
    INSTANCE_UUID: "inst-uuid",
    INSTANCE_CTIME: "1700000000.0",
    INSTANCE_MTIME: "1700000500.25",
    INSTANCE_PRIMARY_NODE: "node-uuid-1",
    HYPERVISOR: "fake",
    DISK_COUNT: "0",
    NIC_COUNT: "0",
    INSTANCE_SECONDARY_NODES: "",
  };

  test("create", () => {
    assertEnv(scriptEnv("create", osDef(), spec({})), MINIMAL_CREATE);
  });

  test("rename with the same old name (after an import)", () => {
    assertEnv(scriptEnv("rename", osDef(), spec({}), { oldName: "web1.example.com" }), {
      ...MINIMAL_CREATE,
      OLD_INSTANCE_NAME: "web1.example.com",
    });
  });

  test("debug level goes to create, reinstall and rename only", () => {
    const s = spec({ debugLevel: 3, disks: [{ path: "/dev/sda", size: 1, uuid: "d0" }] });
    assert.equal(scriptEnv("create", osDef(), s).DEBUG_LEVEL, "3");
    assert.equal(scriptEnv("reinstall", osDef(), s).DEBUG_LEVEL, "3");
    assert.equal(scriptEnv("rename", osDef(), s, { oldName: "a" }).DEBUG_LEVEL, "3");
    assert.equal(scriptEnv("import", osDef(), s, { disk: 0 }).DEBUG_LEVEL, "0");
    assert.equal(scriptEnv("export", osDef(), s, { disk: 0 }).DEBUG_LEVEL, "0");
    assert.equal(scriptEnv("verify", osDef(), s).DEBUG_LEVEL, "0");
  });

  test("INSTANCE_REINSTALL only on reinstall, OLD_INSTANCE_NAME only on rename", () => {
    const s = spec({ disks: [{ path: "/dev/sda", size: 1, uuid: "d0" }] });
    for (const kind of ["create", "import", "export", "verify"] as const) {
      const env = scriptEnv(kind, osDef(), s, { disk: 0 });
      assert.equal(env.INSTANCE_REINSTALL, undefined, kind);
      assert.equal(env.OLD_INSTANCE_NAME, undefined, kind);
    }
  });

  test("LC_ALL=C only for import and export, first", () => {
    const s = spec({ disks: [{ path: "/dev/sda", size: 1, uuid: "d0" }] });
    assert.equal(Object.keys(scriptEnv("import", osDef(), s, { disk: 0 }))[0], "LC_ALL");
    assert.equal(Object.keys(scriptEnv("export", osDef(), s, { disk: 0 }))[0], "LC_ALL");
    for (const kind of ["create", "reinstall", "verify"] as const) {
      assert.equal(scriptEnv(kind, osDef(), s).LC_ALL, undefined, kind);
    }
  });
});

describe("scriptEnv errors", () => {
  const s = spec({ disks: [{ path: "/dev/sda", size: 1, uuid: "d0" }] });

  function assertThrows(fn: () => unknown, code: string, message: string): void {
    assert.throws(fn, (err: unknown) => {
      assert.ok(isGuestosError(err, code), String(err));
      assert.equal(err.message, message);
      return true;
    });
  }

  test("rename needs the old name", () => {
    const msg =
      'Cannot build the rename environment for "web1.example.com": the old instance name is required';
    assertThrows(() => scriptEnv("rename", osDef(), s), "ENV_INVALID", msg);
    assertThrows(() => scriptEnv("rename", osDef(), s, { oldName: "" }), "ENV_INVALID", msg);
  });

  test("rename refuses an old name that is not a host name", () => {
    assertThrows(
      () => scriptEnv("rename", osDef(), s, { oldName: "../etc" }),
      "ENV_INVALID",
      'Cannot build the rename environment for "web1.example.com": "../etc" is not a valid old instance name',
    );
  });

  test("import and export need an index in range", () => {
    assertThrows(
      () => scriptEnv("import", osDef(), s),
      "ENV_INVALID",
      'Cannot build the import environment for "web1.example.com": a disk index is required',
    );
    for (const disk of [1, -1, 0.5]) {
      assertThrows(
        () => scriptEnv("export", osDef(), s, { disk }),
        "ENV_INVALID",
        `Cannot build the export environment for "web1.example.com": disk index ${disk} is out of range (the instance has 1 disk)`,
      );
    }
    assertThrows(
      () => scriptEnv("import", osDef(), spec({}), { disk: 0 }),
      "ENV_INVALID",
      'Cannot build the import environment for "web1.example.com": disk index 0 is out of range (the instance has 0 disks)',
    );
  });

  test("a hand-built spec with userspace access and no uri fails like Ganeti does", () => {
    const bad: InstanceSpec = { ...s, disks: [{ ...s.disks[0]!, access: "userspace", uri: null }] };
    assertThrows(
      () => scriptEnv("create", osDef(), bad),
      "SPEC_INVALID",
      "Cannot read instance spec: disks[0].uri: userspace access needs a uri",
    );
  });
});
