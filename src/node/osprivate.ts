import type { Db } from "./store.js";

/** The node's private parameters for one OS string (`name` or `name+variant`), as set by `os modify`. */
export function getOsPrivateParams(db: Db, os: string): Record<string, string> {
  const rows = db.prepare("SELECT key, value FROM os_private_params WHERE os = ? ORDER BY key").all(os) as {
    key: string;
    value: string;
  }[];
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Set (string) or remove (null) private parameters of one OS string, in one transaction. */
export function setOsPrivateParams(db: Db, os: string, changes: Record<string, string | null>): void {
  db.transaction(() => {
    const del = db.prepare("DELETE FROM os_private_params WHERE os = ? AND key = ?");
    const put = db.prepare("INSERT OR REPLACE INTO os_private_params (os, key, value) VALUES (?, ?, ?)");
    for (const [k, v] of Object.entries(changes)) {
      if (v === null) del.run(os, k);
      else put.run(os, k, v);
    }
  }).immediate();
}
