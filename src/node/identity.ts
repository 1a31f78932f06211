import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { Db } from "./store.js";

/** Who this node is: its uuid is what scripts get as INSTANCE_PRIMARY_NODE, its name what listings show. */
export interface NodeIdentity {
  uuid: string;
  name: string;
}

/** The node's identity, created on first use and fixed afterwards. */
export function nodeIdentity(db: Db): NodeIdentity {
  const read = (): Partial<NodeIdentity> => {
    const rows = db.prepare("SELECT key, value FROM meta WHERE key IN ('node_uuid', 'node_name')").all() as {
      key: string;
      value: string;
    }[];
    const m = new Map(rows.map((r) => [r.key, r.value]));
    return { uuid: m.get("node_uuid"), name: m.get("node_name") };
  };
  const found = read();
  if (found.uuid && found.name) return found as NodeIdentity;
  // INSERT OR IGNORE: two processes creating the identity at once agree on the first one written.
  db.transaction(() => {
    const ins = db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)");
    ins.run("node_uuid", randomUUID());
    ins.run("node_name", hostname());
  }).immediate();
  return read() as NodeIdentity;
}
