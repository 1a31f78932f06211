import { readConfig, type NodeConfig } from "./config.js";
import { nodeIdentity, type NodeIdentity } from "./identity.js";
import { recoverInterrupted } from "./recovery.js";
import { ensureReserve, withReserve, withReserveAsync } from "./reserve.js";
import { openStore, type Db } from "./store.js";

/** An open node: its home, store, configuration and identity. Close it when done. */
export interface NodeHandle {
  home: string;
  db: Db;
  config: NodeConfig;
  identity: NodeIdentity;
  /**
   * The disk holding the home is full (its space reserve is used up): only jobs that free space (remove)
   * may run, so that what is left goes to finishing and recording them.
   */
  lowSpace: boolean;
  close(): void;
}

/**
 * Open the node in `home`: the store (created and migrated on first use), the config file and the
 * identity. Unless told not to, first clean up after jobs whose process died (crash recovery).
 */
export async function openNode(home: string, opts: { recover?: boolean } = {}): Promise<NodeHandle> {
  const db = withReserve(home, () => openStore(home));
  try {
    const config = readConfig(home);
    const identity = withReserve(home, () => nodeIdentity(db));
    if (opts.recover !== false) await withReserveAsync(home, () => recoverInterrupted(db));
    const lowSpace = !ensureReserve(home);
    return { home, db, config, identity, lowSpace, close: () => db.close() };
  } catch (err) {
    db.close();
    throw err;
  }
}
