import type { NodeHandle } from "../node/index.js";

/** Options every command working on the node takes. */
export interface NodeOptions {
  home?: string | undefined;
  json?: boolean | undefined;
}

/**
 * Open the node (running crash recovery), run `fn`, close the node whatever happens. The node modules
 * (better-sqlite3) load here, on first use, so that commands without a node never pay for them.
 */
export async function withNode<T>(opts: NodeOptions, fn: (node: NodeHandle) => T | Promise<T>): Promise<T> {
  const { openNode, resolveHome } = await import("../node/index.js");
  const node = await openNode(resolveHome({ flag: opts.home }));
  try {
    return await fn(node);
  } finally {
    node.close();
  }
}
