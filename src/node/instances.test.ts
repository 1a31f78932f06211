import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  deleteInstance,
  expandInstanceName,
  getInstance,
  getPrivateParams,
  insertInstance,
  listInstances,
  updateInstance,
  type NewInstance,
} from "./instances.js";
import { openStore, type Db } from "./store.js";

let root: string;
let db: Db;
before(async () => {
  root = await mkdtemp(join(tmpdir(), "guestos-instances-"));
  db = openStore(root);
});
after(async () => {
  db.close();
  await rm(root, { recursive: true, force: true });
});

const inst = (name: string, n: number): NewInstance => ({
  uuid: `u-${name}`,
  name,
  os: "deb+default",
  hypervisor: "kvm",
  diskTemplate: "file",
  adminState: "down",
  installState: "pending",
  lastError: null,
  ctime: 1700000000.5,
  hvparams: { acpi: false },
  beparams: { maxmem: 256 },
  osparams: { filesystem: "ext4" },
  tags: ["b", "a"],
  disks: [
    {
      uuid: `d1-${name}`,
      index: 1,
      size: 64,
      mode: "ro",
      name: "data",
      path: `/x/${name}/1`,
      adopted: false,
    },
    {
      uuid: `d0-${name}`,
      index: 0,
      size: 1024,
      mode: "rw",
      name: null,
      path: `/x/${name}/0`,
      adopted: false,
    },
  ],
  nics: [
    {
      uuid: `n-${name}`,
      index: 0,
      mac: `aa:00:00:00:00:0${n}`,
      ip: null,
      mode: null,
      link: "br0",
      vlan: null,
      name: null,
      network: null,
    },
  ],
});

test("instances round-trip with disks, NICs and tags; private values stay apart", () => {
  insertInstance(db, inst("web10.example.com", 1), { privateParams: { pw: "s3cret" } });
  insertInstance(db, inst("web9.example.com", 2));
  const rec = getInstance(db, "web10.example.com")!;
  assert.deepEqual(
    rec.disks.map((d) => [d.index, d.size, d.mode, d.name]),
    [
      [0, 1024, "rw", null],
      [1, 64, "ro", "data"],
    ],
  );
  assert.deepEqual(rec.tags, ["a", "b"]);
  assert.deepEqual(rec.osparamsPrivateKeys, ["pw"]);
  assert.equal(JSON.stringify(rec).includes("s3cret"), false);
  assert.deepEqual(getPrivateParams(db, rec.uuid), { pw: "s3cret" });
  assert.equal(rec.serialNo, 1);
  assert.equal(rec.mtime, rec.ctime);
  // Nice sort: web9 before web10.
  assert.deepEqual(
    listInstances(db).map((i) => i.name),
    ["web9.example.com", "web10.example.com"],
  );
  assert.throws(() => insertInstance(db, inst("web9.example.com", 3)), {
    code: "INSTANCE_EXISTS",
    message: "Instance 'web9.example.com' is already in the cluster",
  });
  // A MAC is unique on the node: the whole insert is rolled back.
  assert.throws(() => insertInstance(db, { ...inst("other.example.com", 1), uuid: "u-other" }), /UNIQUE/);
  assert.equal(getInstance(db, "other.example.com"), null);
});

test("updates bump serial and mtime only for configuration changes", () => {
  const uuid = "u-web9.example.com";
  updateInstance(db, uuid, { installState: "installed", lastError: null });
  assert.equal(getInstance(db, "web9.example.com")!.serialNo, 1);
  updateInstance(
    db,
    uuid,
    { osparams: { filesystem: "xfs" } },
    { privateParams: { k: "v" }, now: 1800000000 },
  );
  const rec = getInstance(db, "web9.example.com")!;
  assert.equal(rec.serialNo, 2);
  assert.equal(rec.mtime, 1800000000);
  assert.deepEqual(getPrivateParams(db, uuid), { k: "v" });
  assert.throws(() => updateInstance(db, uuid, { name: "web10.example.com" }), { code: "INSTANCE_EXISTS" });
  updateInstance(db, uuid, { name: "web9.example.org", disks: [] });
  assert.deepEqual(getInstance(db, "web9.example.org")!.disks, []);
});

test("name expansion: exact, unique prefix by labels, ambiguous", () => {
  assert.equal(expandInstanceName(db, "web10"), "web10.example.com");
  assert.equal(expandInstanceName(db, "web10.example.com"), "web10.example.com");
  assert.equal(expandInstanceName(db, "web1"), null, "labels, not characters");
  assert.equal(expandInstanceName(db, "web%"), null, "LIKE wildcards are literal");
  insertInstance(db, inst("web10.example.net", 4));
  assert.throws(() => expandInstanceName(db, "web10"), {
    code: "NAME_AMBIGUOUS",
    message: "Instance name web10 has multiple matches",
  });
});

test("deleting an instance removes its disks, NICs, tags and private values", () => {
  const uuid = "u-web10.example.com";
  deleteInstance(db, uuid);
  for (const table of ["disks", "nics", "instance_tags", "instance_private_params"]) {
    assert.equal(
      (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE instance_uuid = ?`).get(uuid) as { n: number }).n,
      0,
      table,
    );
  }
});
