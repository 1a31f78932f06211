import { GuestosError } from "../errors.js";
import { niceSort } from "../osdef/nicesort.js";
import type { Db } from "./store.js";
import type { DiskRecord, InstanceRecord, NicRecord } from "./types.js";

interface InstanceRow {
  uuid: string;
  name: string;
  os: string;
  hypervisor: string;
  disk_template: InstanceRecord["diskTemplate"];
  admin_state: InstanceRecord["adminState"];
  install_state: InstanceRecord["installState"];
  last_error: string | null;
  ctime: number;
  mtime: number;
  serial_no: number;
  hvparams: string;
  beparams: string;
  osparams: string;
}

interface DiskRow {
  uuid: string;
  instance_uuid: string;
  idx: number;
  size: number;
  mode: "rw" | "ro";
  name: string | null;
  path: string;
  adopted: number;
}

interface NicRow {
  uuid: string;
  instance_uuid: string;
  idx: number;
  mac: string;
  ip: string | null;
  mode: string | null;
  link: string | null;
  vlan: string | null;
  name: string | null;
  network: string | null;
}

/** A new instance: the record without the fields the store computes. */
export type NewInstance = Omit<InstanceRecord, "serialNo" | "mtime" | "osparamsPrivateKeys">;

function groupBy<T extends { instance_uuid: string }>(rows: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const row of rows) {
    const list = out.get(row.instance_uuid);
    if (list) list.push(row);
    else out.set(row.instance_uuid, [row]);
  }
  return out;
}

function toDisk(r: DiskRow): DiskRecord {
  return {
    uuid: r.uuid,
    index: r.idx,
    size: r.size,
    mode: r.mode,
    name: r.name,
    path: r.path,
    adopted: r.adopted === 1,
  };
}

function toNic(r: NicRow): NicRecord {
  const { instance_uuid: _i, idx, ...rest } = r;
  return { ...rest, index: idx };
}

/** Load instances (all, or those matching a WHERE clause on `instances`) with their disks, NICs, tags. */
function load(db: Db, where = "", params: unknown[] = []): InstanceRecord[] {
  const rows = db.prepare(`SELECT * FROM instances ${where}`).all(...params) as InstanceRow[];
  if (rows.length === 0) return [];
  const scope = where ? `WHERE instance_uuid IN (SELECT uuid FROM instances ${where})` : "";
  const disks = groupBy(db.prepare(`SELECT * FROM disks ${scope} ORDER BY idx`).all(...params) as DiskRow[]);
  const nics = groupBy(db.prepare(`SELECT * FROM nics ${scope} ORDER BY idx`).all(...params) as NicRow[]);
  const tags = groupBy(
    db.prepare(`SELECT * FROM instance_tags ${scope} ORDER BY tag`).all(...params) as {
      instance_uuid: string;
      tag: string;
    }[],
  );
  const priv = groupBy(
    db
      .prepare(`SELECT instance_uuid, key FROM instance_private_params ${scope} ORDER BY key`)
      .all(...params) as {
      instance_uuid: string;
      key: string;
    }[],
  );
  return rows.map((r) => ({
    uuid: r.uuid,
    name: r.name,
    os: r.os,
    hypervisor: r.hypervisor,
    diskTemplate: r.disk_template,
    adminState: r.admin_state,
    installState: r.install_state,
    lastError: r.last_error,
    ctime: r.ctime,
    mtime: r.mtime,
    serialNo: r.serial_no,
    hvparams: JSON.parse(r.hvparams) as InstanceRecord["hvparams"],
    beparams: JSON.parse(r.beparams) as InstanceRecord["beparams"],
    osparams: JSON.parse(r.osparams) as InstanceRecord["osparams"],
    osparamsPrivateKeys: (priv.get(r.uuid) ?? []).map((p) => p.key),
    tags: (tags.get(r.uuid) ?? []).map((t) => t.tag),
    disks: (disks.get(r.uuid) ?? []).map(toDisk),
    nics: (nics.get(r.uuid) ?? []).map(toNic),
  }));
}

/** Every instance, nice-sorted by name (as gnt-instance list sorts). */
export function listInstances(db: Db): InstanceRecord[] {
  const all = load(db);
  const byName = new Map(all.map((i) => [i.name, i]));
  return niceSort([...byName.keys()]).map((n) => byName.get(n) as InstanceRecord);
}

/** The instance with exactly this name, or null. */
export function getInstance(db: Db, name: string): InstanceRecord | null {
  return load(db, "WHERE name = ?", [name])[0] ?? null;
}

/** The instance with this uuid, or null. */
export function getInstanceByUuid(db: Db, uuid: string): InstanceRecord | null {
  return load(db, "WHERE uuid = ?", [uuid])[0] ?? null;
}

/**
 * Ganeti's name expansion: an exact name, or a unique name of which `name` is the first labels
 * (`web1` for `web1.example.com`). Null when nothing matches; an error when several do.
 */
export function expandInstanceName(db: Db, name: string): string | null {
  const exact = db.prepare("SELECT name FROM instances WHERE name = ?").get(name) as
    { name: string } | undefined;
  if (exact) return exact.name;
  const like = name.replace(/[\\%_]/g, (c) => `\\${c}`);
  const rows = db.prepare("SELECT name FROM instances WHERE name LIKE ? ESCAPE '\\'").all(`${like}.%`) as {
    name: string;
  }[];
  const matches = rows.map((r) => r.name).filter((n) => n.startsWith(`${name}.`));
  if (matches.length === 1) return matches[0] as string;
  if (matches.length > 1) {
    throw new GuestosError("NAME_AMBIGUOUS", `Instance name ${name} has multiple matches`, {
      hint: `use one of: ${niceSort(matches).join(", ")}`,
    });
  }
  return null;
}

/** True when a NIC of some instance on the node has this MAC (MACs are unique on the node). */
export function macInUse(db: Db, mac: string): boolean {
  return db.prepare("SELECT 1 FROM nics WHERE mac = ?").get(mac) !== undefined;
}

/** The private OS parameter values of an instance (never shown; only scripts get them). */
export function getPrivateParams(db: Db, uuid: string): Record<string, string> {
  const rows = db
    .prepare("SELECT key, value FROM instance_private_params WHERE instance_uuid = ? ORDER BY key")
    .all(uuid) as { key: string; value: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

function insertChildren(db: Db, inst: Pick<InstanceRecord, "uuid" | "disks" | "nics" | "tags">): void {
  const disk = db.prepare(
    "INSERT INTO disks (uuid, instance_uuid, idx, size, mode, name, path, adopted) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
  );
  for (const d of inst.disks) {
    disk.run(d.uuid, inst.uuid, d.index, d.size, d.mode, d.name, d.path, d.adopted ? 1 : 0);
  }
  const nic = db.prepare(
    "INSERT INTO nics (uuid, instance_uuid, idx, mac, ip, mode, link, vlan, name, network) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  for (const n of inst.nics) {
    nic.run(n.uuid, inst.uuid, n.index, n.mac, n.ip, n.mode, n.link, n.vlan, n.name, n.network);
  }
  const tag = db.prepare("INSERT INTO instance_tags (instance_uuid, tag) VALUES (?, ?)");
  for (const t of new Set(inst.tags)) tag.run(inst.uuid, t);
}

function replacePrivate(db: Db, uuid: string, values: Record<string, string>): void {
  db.prepare("DELETE FROM instance_private_params WHERE instance_uuid = ?").run(uuid);
  const ins = db.prepare("INSERT INTO instance_private_params (instance_uuid, key, value) VALUES (?, ?, ?)");
  for (const [k, v] of Object.entries(values)) ins.run(uuid, k, v);
}

/** Store a new instance with its disks, NICs, tags and private parameters, in one transaction. */
export function insertInstance(
  db: Db,
  inst: NewInstance,
  opts: { privateParams?: Record<string, string> } = {},
): void {
  db.transaction(() => {
    if (db.prepare("SELECT 1 FROM instances WHERE name = ?").get(inst.name)) {
      throw new GuestosError("INSTANCE_EXISTS", `Instance '${inst.name}' is already in the cluster`);
    }
    db.prepare(
      `INSERT INTO instances (uuid, name, os, hypervisor, disk_template, admin_state, install_state, last_error,
         ctime, mtime, serial_no, hvparams, beparams, osparams)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
    ).run(
      inst.uuid,
      inst.name,
      inst.os,
      inst.hypervisor,
      inst.diskTemplate,
      inst.adminState,
      inst.installState,
      inst.lastError,
      inst.ctime,
      inst.ctime,
      JSON.stringify(inst.hvparams),
      JSON.stringify(inst.beparams),
      JSON.stringify(inst.osparams),
    );
    insertChildren(db, inst);
    replacePrivate(db, inst.uuid, opts.privateParams ?? {});
  }).immediate();
}

/** Fields of an instance that operations change. */
export type InstancePatch = Partial<
  Pick<
    InstanceRecord,
    | "name"
    | "os"
    | "hypervisor"
    | "adminState"
    | "installState"
    | "lastError"
    | "hvparams"
    | "beparams"
    | "osparams"
    | "disks"
    | "nics"
    | "tags"
  >
>;

const COLUMNS: Record<string, string> = {
  name: "name",
  os: "os",
  hypervisor: "hypervisor",
  adminState: "admin_state",
  installState: "install_state",
  lastError: "last_error",
  hvparams: "hvparams",
  beparams: "beparams",
  osparams: "osparams",
};

/**
 * Change an instance in one transaction. A change to the configuration (anything but the install state
 * and last error, which only record what happened) bumps the serial number and mtime, as Ganeti does.
 * `privateParams` replaces all private values when given.
 */
export function updateInstance(
  db: Db,
  uuid: string,
  patch: InstancePatch,
  opts: { privateParams?: Record<string, string>; now?: number } = {},
): void {
  db.transaction(() => {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [key, col] of Object.entries(COLUMNS)) {
      const v = (patch as Record<string, unknown>)[key];
      if (v === undefined) continue;
      sets.push(`${col} = ?`);
      values.push(typeof v === "object" && v !== null ? JSON.stringify(v) : v);
    }
    const config = Object.keys(patch).some((k) => k !== "installState" && k !== "lastError");
    if (config || opts.privateParams) {
      sets.push("serial_no = serial_no + 1", "mtime = ?");
      values.push(opts.now ?? Date.now() / 1000);
    }
    if (
      patch.name !== undefined &&
      db.prepare("SELECT 1 FROM instances WHERE name = ? AND uuid != ?").get(patch.name, uuid)
    ) {
      throw new GuestosError("INSTANCE_EXISTS", `Instance '${patch.name}' is already in the cluster`);
    }
    if (sets.length > 0) {
      const res = db.prepare(`UPDATE instances SET ${sets.join(", ")} WHERE uuid = ?`).run(...values, uuid);
      if (res.changes === 0)
        throw new GuestosError("INSTANCE_GONE", `Cannot update instance ${uuid}: it is gone`);
    }
    if (patch.disks || patch.nics || patch.tags) {
      const current = getInstanceByUuid(db, uuid);
      if (!current) throw new GuestosError("INSTANCE_GONE", `Cannot update instance ${uuid}: it is gone`);
      if (patch.disks) db.prepare("DELETE FROM disks WHERE instance_uuid = ?").run(uuid);
      if (patch.nics) db.prepare("DELETE FROM nics WHERE instance_uuid = ?").run(uuid);
      if (patch.tags) db.prepare("DELETE FROM instance_tags WHERE instance_uuid = ?").run(uuid);
      insertChildren(db, { uuid, disks: patch.disks ?? [], nics: patch.nics ?? [], tags: patch.tags ?? [] });
    }
    if (opts.privateParams) replacePrivate(db, uuid, opts.privateParams);
  }).immediate();
}

/** Delete an instance and everything that hangs off it. */
export function deleteInstance(db: Db, uuid: string): void {
  db.prepare("DELETE FROM instances WHERE uuid = ?").run(uuid);
}
