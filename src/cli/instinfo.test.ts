import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { disk, nic, view } from "../../test/fixtures/views.js";
import { renderInstanceInfo } from "./instinfo.js";

const UTC = { timeZone: "UTC" };

// The layout is gnt-instance info's (test/cli/render.test.ts compares with Ganeti's ShowInstanceConfig).
const WEB1 = [
  "- Instance name: web1.example.com",
  "  UUID: 5f3c0000-0000-4000-8000-000000000001",
  "  Serial number: 4",
  "  Creation time: 2020-11-26 14:03:12",
  "  Modification time: 2020-11-26 15:03:12",
  "  State: configured to be down, actual state is down",
  "  Nodes: ",
  "    - primary: node1.example.com",
  "    - secondaries: ",
  "  Operating system: debootstrap+default",
  "  Install state: installed",
  "  Operating system parameters: ",
  "    filesystem: ext4",
  "    mirror: default (Debian's mirror)",
  "  Allocated network port: None",
  "  Hypervisor: kvm",
  "  Hypervisor parameters: ",
  "    acpi: True",
  "    boot_order: default (disk)",
  "    cpu_cores: default (0)",
  "    kernel_path: default ()",
  "  Back-end parameters: ",
  "    always_failover: default (False)",
  "    auto_balance: default (True)",
  "    maxmem: default (512)",
  "    memory: default (512)",
  "    minmem: default (512)",
  "    spindle_use: default (1)",
  "    vcpus: 1",
  "  NICs: ",
  "    - nic/0: ",
  "      MAC: aa:00:00:11:22:30",
  "      IP: None",
  "      mode: bridged",
  "      link: br0",
  "      vlan: ",
  "      network: None",
  "      UUID: 8d2e0000-0000-4000-8000-000000000000",
  "      name: None",
  "  Disk template: file",
  "  Disks: ",
  "    - disk/0: file, size 10.0G",
  "      access mode: rw",
  "      logical_id: ['loop', '/srv/guestos/file-storage/web1.example.com/8c1f0000.file.disk0']",
  "      on primary: /srv/guestos/file-storage/web1.example.com/8c1f0000.file.disk0 (N/A:N/A)",
  "      name: None",
  "      UUID: 8c1f0000-0000-4000-8000-000000000000",
];

const db = view({
  name: "db.example.com",
  uuid: "5f3c0000-0000-4000-8000-000000000002",
  adminState: "up",
  installState: "failed",
  lastError: "OS create script failed\nlast lines:\nboom",
  diskTemplate: "blockdev",
  osparams: { filesystem: "ext4" },
  osparamsPrivateKeys: ["password"],
  disks: [disk(0, { path: "/dev/sdb", size: 2048, name: "data", adopted: true })],
  nics: [],
  filled: { ...view().filled, nics: [] },
});

describe("renderInstanceInfo", () => {
  test("a file instance, live view", () => {
    assert.deepEqual(renderInstanceInfo([view()], UTC), WEB1);
  });

  test("--static: no actual state, no `on primary:`; blockdev logical_id; private parameters redacted", () => {
    const lines = renderInstanceInfo([db], { ...UTC, static: true });
    assert.equal(lines[5], "  State: configured to be up");
    assert.deepEqual(lines.slice(9, 18), [
      "  Operating system: debootstrap+default",
      "  Install state: failed",
      "  Last error: OS create script failed",
      "    last lines:",
      "    boom",
      "  Operating system parameters: ",
      "    filesystem: ext4",
      "    mirror: default (Debian's mirror)",
      "    password: <redacted>",
    ]);
    assert.deepEqual(lines.slice(-8), [
      "  NICs: ",
      "  Disk template: blockdev",
      "  Disks: ",
      "    - disk/0: blockdev, size 2.0G",
      "      access mode: rw",
      "      logical_id: ['manual', '/dev/sdb']",
      "      name: data",
      "      UUID: 8c1f0000-0000-4000-8000-000000000000",
    ]);
    assert.ok(!lines.some((l) => l.includes("on primary")));
  });

  test("an instance marked up is down here; offline stays offline", () => {
    assert.equal(renderInstanceInfo([db], UTC)[5], "  State: configured to be up, actual state is down");
    const off = view({ adminState: "offline" });
    assert.equal(
      renderInstanceInfo([off], UTC)[5],
      "  State: configured to be offline, actual state is offline",
    );
  });

  test("own parameters as they are, Python's str() for inherited ones", () => {
    const v = view({
      hvparams: { acpi: false, kernel_args: "ro" },
      beparams: { maxmem: 1024 },
      filled: {
        ...view().filled,
        hvparams: { acpi: false, kernel_args: "ro", cdrom_image_path: null, usb_devices: ["a", "b"] },
        beparams: { maxmem: 1024, minmem: 512 },
      },
    });
    const lines = renderInstanceInfo([v], UTC);
    const at = lines.indexOf("  Hypervisor parameters: ");
    assert.deepEqual(lines.slice(at, at + 9), [
      "  Hypervisor parameters: ",
      "    acpi: False",
      "    cdrom_image_path: default (None)",
      "    kernel_args: ro",
      "    usb_devices: default (['a', 'b'])",
      "  Back-end parameters: ",
      "    maxmem: 1024",
      "    memory: default (1024)",
      "    minmem: default (512)",
    ]);
  });

  test("NICs and disks in index order, with names, IPs and the group when known", () => {
    const v = view({
      disks: [disk(1, { size: 512, mode: "ro", name: "swap" }), disk(0)],
      nics: [nic(0, { ip: "10.0.0.5", name: "eth0", network: "lan" })],
      filled: { ...view().filled, nics: [{ mode: "openvswitch", link: "ovs0", vlan: ".100" }] },
    });
    const lines = renderInstanceInfo([v], { ...UTC, group: { name: "default", uuid: "0a1b" } });
    assert.deepEqual(lines.slice(6, 10), [
      "  Nodes: ",
      "    - primary: node1.example.com",
      "      group: default (UUID 0a1b)",
      "    - secondaries: ",
    ]);
    const nicAt = lines.indexOf("    - nic/0: ");
    assert.deepEqual(lines.slice(nicAt + 2, nicAt + 9), [
      "      IP: 10.0.0.5",
      "      mode: openvswitch",
      "      link: ovs0",
      "      vlan: .100",
      "      network: lan",
      "      UUID: 8d2e0000-0000-4000-8000-000000000000",
      "      name: eth0",
    ]);
    assert.ok(
      lines.indexOf("    - disk/0: file, size 10.0G") < lines.indexOf("    - disk/1: file, size 512M"),
    );
    assert.ok(lines.includes("      access mode: ro"));
    assert.ok(lines.includes("      name: swap"));
  });

  test("device numbers when known; a device that cannot be found has no `on primary:` line", () => {
    const v = view({
      diskTemplate: "blockdev",
      disks: [disk(0, { path: "/dev/sdb" }), disk(1, { path: "/dev/sdc" })],
    });
    const devices = new Map([
      [v.disks[0]!.uuid, { major: 8, minor: 16 }],
      [v.disks[1]!.uuid, null],
    ]);
    const lines = renderInstanceInfo([v], { ...UTC, devices });
    assert.ok(lines.includes("      on primary: /dev/sdb (8:16)"));
    assert.equal(lines.filter((l) => l.includes("on primary")).length, 1);
  });

  test("several instances; none prints `No instances.`", () => {
    const lines = renderInstanceInfo([view(), db], UTC);
    assert.deepEqual(lines.slice(0, WEB1.length), WEB1);
    assert.equal(lines[WEB1.length], "- Instance name: db.example.com");
    assert.deepEqual(renderInstanceInfo([]), ["No instances."]);
  });
});
