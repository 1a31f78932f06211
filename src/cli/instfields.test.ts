import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { disk, nic, view } from "../../test/fixtures/views.js";
import { DEFAULT_INSTANCE_FIELDS, INSTANCE_FIELDS, instanceStatus } from "./instfields.js";
import { UNAVAIL } from "./query.js";

const get = (name: string, v = view()): unknown => {
  const def = INSTANCE_FIELDS.get(name);
  assert.ok(def, `no field ${name}`);
  return def.get(v);
};

describe("INSTANCE_FIELDS", () => {
  test("every field the node manager promises exists, with Ganeti's title", () => {
    const titles: Record<string, string> = {
      name: "Instance",
      os: "OS",
      hypervisor: "Hypervisor",
      pnode: "Primary_node",
      status: "Status",
      admin_state: "InstanceState",
      admin_up: "Autostart",
      oper_state: "Running",
      oper_ram: "Memory",
      oper_vcpus: "VCPUs",
      disk_template: "Disk_template",
      "disk.count": "Disks",
      "disk.sizes": "Disk_sizes",
      "disk.size/15": "Disk/15",
      "disk.names": "Disk_names",
      "disk.uuids": "Disk_UUIDs",
      "disk.name/0": "DiskName/0",
      "disk.uuid/0": "DiskUUID/0",
      disk_usage: "DiskUsage",
      "nic.count": "NICs",
      "nic.macs": "NIC_MACs",
      "nic.ips": "NIC_IPs",
      "nic.modes": "NIC_modes",
      "nic.links": "NIC_links",
      "nic.bridges": "NIC_bridges",
      "nic.names": "NIC_Names",
      "nic.uuids": "NIC_UUIDs",
      "nic.vlans": "NIC_VLANs",
      "nic.networks": "NIC_networks",
      "nic.mac/7": "NicMAC/7",
      "nic.ip/0": "NicIP/0",
      "nic.mode/0": "NicMode/0",
      "nic.link/0": "NicLink/0",
      "nic.bridge/0": "NicBridge/0",
      "nic.name/0": "NicName/0",
      "nic.uuid/0": "NicUUID/0",
      "nic.vlan/0": "NicVLAN/0",
      "nic.network/0": "NicNetwork/0",
      tags: "Tags",
      ctime: "CTime",
      mtime: "MTime",
      uuid: "UUID",
      serial_no: "SerialNo",
      "be/maxmem": "ConfigMaxMem",
      "be/always_failover": "be/always_failover",
      "hv/kernel_path": "Kernel_path",
      "hv/kernel_args": "hv/kernel_args",
      beparams: "BackendParameters",
      hvparams: "HypervisorParameters",
      osparams: "OpSysParameters",
      custom_beparams: "CustomBackendParameters",
      custom_hvparams: "CustomHypervisorParameters",
      custom_osparams: "CustomOpSysParameters",
      install: "Install",
      error: "Last_error",
      vcpus: "ConfigVCPUs",
      "be/memory": "ConfigMaxMem",
      sda_size: "Disk/0",
      sdb_size: "Disk/1",
      ip: "NicIP/0",
      mac: "NicMAC/0",
      bridge: "NicBridge/0",
      nic_mode: "NicMode/0",
      nic_link: "NicLink/0",
      nic_network: "NicNetwork/0",
    };
    for (const [name, title] of Object.entries(titles))
      assert.equal(INSTANCE_FIELDS.get(name)?.title, title, name);
    for (const name of DEFAULT_INSTANCE_FIELDS) assert.ok(INSTANCE_FIELDS.has(name), name);
    assert.ok(!INSTANCE_FIELDS.has("disk.size/16") && !INSTANCE_FIELDS.has("nic.mac/8"));
    assert.ok(!INSTANCE_FIELDS.has("hv/migration_port"), "cluster-wide hv params are not instance fields");
  });

  test("an alias keeps its own name", () => {
    assert.equal(INSTANCE_FIELDS.get("sda_size")!.name, "sda_size");
    assert.equal(INSTANCE_FIELDS.get("sda_size")!.kind, "unit");
  });

  test("status on a node that never runs instances", () => {
    assert.equal(instanceStatus(view({ adminState: "up" })), "ERROR_down");
    assert.equal(instanceStatus(view({ adminState: "down" })), "ADMIN_down");
    assert.equal(instanceStatus(view({ adminState: "offline" })), "ADMIN_offline");
    assert.equal(get("oper_state"), false);
    assert.equal(get("oper_ram"), UNAVAIL);
    assert.equal(get("oper_vcpus"), UNAVAIL);
    assert.equal(get("admin_up", view({ adminState: "up" })), true);
  });

  test("per-index disk fields: unavailable past the last disk or without a name", () => {
    const v = view({ disks: [disk(1, { size: 512, name: "data" }), disk(0)] });
    assert.equal(get("disk.size/0", v), 10240);
    assert.equal(get("disk.size/1", v), 512);
    assert.equal(get("disk.size/2", v), UNAVAIL);
    assert.equal(get("disk.name/0", v), UNAVAIL);
    assert.equal(get("disk.name/1", v), "data");
    assert.deepEqual(get("disk.sizes", v), [10240, 512]);
    assert.deepEqual(get("disk.names", v), [null, "data"]);
  });

  test("disk usage: file sizes count, adopted block devices and diskless do not", () => {
    assert.equal(get("disk_usage", view({ disks: [disk(0), disk(1, { size: 4 })] })), 10244);
    assert.equal(get("disk_usage", view({ diskTemplate: "blockdev" })), 0);
    assert.equal(get("disk_usage", view({ diskTemplate: "diskless", disks: [] })), 0);
  });

  test("NIC bridge and VLAN follow the filled mode, as Ganeti's query does", () => {
    const v = view({
      nics: [nic(0, { ip: "10.0.0.1" }), nic(1), nic(2)],
      filled: {
        ...view().filled,
        nics: [
          { mode: "bridged", link: "br0", vlan: "" },
          { mode: "routed", link: "rt", vlan: "" },
          { mode: "openvswitch", link: "ovs", vlan: ".10" },
        ],
      },
    });
    assert.deepEqual(get("nic.bridges", v), ["br0", null, null]);
    assert.deepEqual(get("nic.vlans", v), ["", null, ".10"]);
    assert.equal(get("nic.bridge/0", v), "br0");
    assert.equal(get("nic.bridge/1", v), UNAVAIL);
    assert.equal(get("nic.vlan/0", v), UNAVAIL);
    assert.equal(get("nic.vlan/2", v), ".10");
    assert.equal(get("nic.ip/0", v), "10.0.0.1");
    assert.equal(get("nic.ip/1", v), UNAVAIL);
    assert.equal(get("nic.mode/1", v), "routed");
    assert.equal(get("nic.mac/3", v), UNAVAIL);
  });

  test("parameters: filled ones without cluster-wide hv params; private OS parameters never", () => {
    const v = view({
      osparams: { filesystem: "ext4", password: "x" },
      osparamsPrivateKeys: ["password"],
      filled: { ...view().filled, osparams: { filesystem: "ext4", password: "x" } },
    });
    assert.deepEqual(get("osparams", v), { filesystem: "ext4" });
    assert.deepEqual(get("custom_osparams", v), { filesystem: "ext4" });
    assert.equal(Object.hasOwn(get("hvparams") as object, "migration_port"), false);
    assert.equal(get("hv/acpi"), true);
    assert.equal(get("hv/kernel_args"), UNAVAIL);
    assert.equal(get("be/maxmem"), 512);
    assert.equal(get("be/memory"), 512);
  });

  test("tags sorted; the error field shows the first line only", () => {
    assert.deepEqual(get("tags", view({ tags: ["b", "a", "B"] })), ["B", "a", "b"]);
    assert.equal(get("error", view({ lastError: "first\nsecond" })), "first");
    assert.equal(get("error"), "");
    assert.equal(get("install", view({ installState: "pending" })), "pending");
  });
});
