import { readConfig, type NodeConfig } from "./config.js";
import { nodeIdentity, type NodeIdentity } from "./identity.js";
import { recoverInterrupted } from "./recovery.js";
import { openStore, type Db } from "./store.js";

/** An open node: its home, store, configuration and identity. Close it when done. */
export interface NodeHandle {
  home: string;
  db: Db;
  config: NodeConfig;
  identity: NodeIdentity;
  close(): void;
}

/**
 * Open the node in `home`: the store (created and migrated on first use), the config file and the
 * identity. Unless told not to, first clean up after jobs whose process died (crash recovery).
 */
export async function openNode(home: string, opts: { recover?: boolean } = {}): Promise<NodeHandle> {
  const db = openStore(home);
  try {
    const config = readConfig(home);
    const identity = nodeIdentity(db);
    if (opts.recover !== false) await recoverInterrupted(db);
    return { home, db, config, identity, close: () => db.close() };
  } catch (err) {
    db.close();
    throw err;
  }
}
