import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { disk, view } from "../../test/fixtures/views.js";
import { INSTANCE_FIELDS } from "./instfields.js";
import { renderInstanceList, renderInstanceListFields } from "./instlist.js";

// Every expected table here is what gnt-instance list prints for the same data (test/cli/render.test.ts
// checks the renderer against Ganeti's own ListInstances over many more cases).
const web1 = view();
const db = view({
  name: "db.example.com",
  uuid: "5f3c0000-0000-4000-8000-000000000002",
  adminState: "up",
  installState: "failed",
  lastError: "OS create script failed\nlast lines:\nboom",
  diskTemplate: "blockdev",
  disks: [disk(0, { path: "/dev/sdb", size: 2048, name: "data", adopted: true })],
  nics: [],
  filled: { ...view().filled, nics: [] },
});

describe("renderInstanceList", () => {
  test("default fields: right-aligned Memory, unavailable on a node that runs nothing", () => {
    assert.deepEqual(renderInstanceList([web1, db]), {
      lines: [
        "Instance         Hypervisor OS                  Primary_node      Status     Memory",
        "web1.example.com kvm        debootstrap+default node1.example.com ADMIN_down      -",
        "db.example.com   kvm        debootstrap+default node1.example.com ERROR_down      -",
      ],
      unknownFields: [],
    });
  });

  test("+fields append; the separator drops padding and switches units to plain MiB", () => {
    const r = renderInstanceList([web1, db], {
      fields: "+disk.sizes,be/maxmem,admin_up,install,error",
      separator: ":",
    });
    assert.deepEqual(r.lines, [
      "Instance:Hypervisor:OS:Primary_node:Status:Memory:Disk_sizes:ConfigMaxMem:Autostart:Install:Last_error",
      "web1.example.com:kvm:debootstrap+default:node1.example.com:ADMIN_down:-:10240:512:N:installed:",
      "db.example.com:kvm:debootstrap+default:node1.example.com:ERROR_down:-:2048:512:Y:failed:OS create script failed",
    ]);
  });

  test("-o replaces the defaults; --units g; --no-headers; a left-aligned last column is not padded", () => {
    const r = renderInstanceList([web1, db], { fields: "disk.size/0,name", units: "g", noHeaders: true });
    assert.deepEqual(r.lines, ["10.0 web1.example.com", " 2.0 db.example.com"]);
  });

  test("an unknown field: its name as title, ?? in every cell, reported", () => {
    const r = renderInstanceList([web1], { fields: "name,bogus,nic.ip/0" });
    assert.deepEqual(r, {
      lines: ["Instance         bogus NicIP/0", "web1.example.com ??    -"],
      unknownFields: ["bogus"],
    });
  });

  test("-v spells the special values out", () => {
    const r = renderInstanceList([web1], { fields: "oper_ram,bogus", verbose: true });
    assert.deepEqual(r.lines, ["   Memory bogus", "(unavail) (unknown)"]);
  });

  test("no instances: the header alone", () => {
    assert.deepEqual(renderInstanceList([]).lines, ["Instance Hypervisor OS Primary_node Status Memory"]);
  });

  test("ctime in the given zone", () => {
    assert.deepEqual(renderInstanceList([web1], { fields: "ctime", timeZone: "Europe/Berlin" }).lines, [
      "CTime",
      "2020-11-26 15:03:12",
    ]);
  });
});

describe("renderInstanceListFields", () => {
  test("named fields in the given order, unknown ones typed Unknown", () => {
    assert.deepEqual(renderInstanceListFields(["name", "bogus", "disk.sizes"]), {
      lines: [
        "Name       Type    Title      Description",
        "name       Text    Instance   Instance name",
        "bogus      Unknown bogus      Unknown field 'bogus'",
        "disk.sizes Custom  Disk_sizes List of disk sizes",
      ],
      unknownFields: ["bogus"],
    });
  });

  test("all fields, NiceSorted (disk.size/2 before disk.size/10)", () => {
    const { lines, unknownFields } = renderInstanceListFields([], { noHeaders: true, separator: "|" });
    assert.equal(unknownFields.length, 0);
    assert.equal(lines.length, INSTANCE_FIELDS.size);
    const names = lines.map((l) => l.split("|")[0]!);
    assert.ok(names.indexOf("disk.size/2") < names.indexOf("disk.size/10"));
    assert.equal(names[0], "admin_state");
    assert.ok(lines.includes('vcpus|Number|ConfigVCPUs|The "vcpus" backend parameter'));
  });
});
