import { GuestosError, isGuestosError } from "../errors.js";
import type { NodeHandle } from "../node/node.js";
import { checkVariant, findOs, searchPathFrom, validateOs } from "../osdef/index.js";
import type { OsDefinition } from "../osdef/types.js";

/** The node's OS search path: GUESTOS_OS_SEARCH_PATH when set, else the config's, else Debian's. */
export function nodeSearchPath(node: NodeHandle): string[] {
  return searchPathFrom({ configured: node.config.searchPath });
}

function prefixed(prefix: string, err: unknown): unknown {
  if (!isGuestosError(err)) return err;
  return new GuestosError(err.code, `${prefix}: ${err.message}`, {
    ...(err.hint ? { hint: err.hint } : {}),
    cause: err,
  });
}

/**
 * Ganeti's CheckOSParams (node side: ValidateOS), with its messages: the OS must exist and be valid on this
 * node, the variant must be listed (unless forced), and for API 20 the parameters must be declared and
 * accepted by `verify`. `osparams` is everything the OS will get: public, private and secret together.
 */
export async function checkOsForInstance(
  node: NodeHandle,
  os: string,
  opts: { osparams: Record<string, string>; forceVariant?: boolean; validateParams?: boolean },
): Promise<OsDefinition> {
  const where = node.identity.name;
  const searchPath = nodeSearchPath(node);
  let def: OsDefinition;
  try {
    def = await findOs(os, searchPath);
    if (opts.forceVariant !== true) checkVariant(def, os);
  } catch (err) {
    // Ganeti 3.0 finds the OS and checks the variant inside ValidateOS, so add and reinstall report a
    // missing OS or a bad variant under CheckOSParams's prefix. A lookup alone (Ganeti makes none there)
    // keeps the wording of Ganeti 2's CheckNodeHasOS.
    const prefix =
      opts.validateParams === false
        ? `OS '${os}' not in supported OS list for node ${where}`
        : `OS Parameters validation failed on node ${where}`;
    throw prefixed(prefix, err);
  }
  if (opts.validateParams === false) return def;
  try {
    const timeout = node.config.timeouts.verify;
    await validateOs(os, {
      searchPath,
      osparams: opts.osparams,
      forceVariant: true,
      ...(timeout ? { timeoutMs: timeout * 1000 } : {}),
    });
  } catch (err) {
    throw prefixed(`OS Parameters validation failed on node ${where}`, err);
  }
  return def;
}

/** Ganeti's blacklist check at create: the exact `name+variant` string. */
export function checkNotBlacklisted(node: NodeHandle, os: string): void {
  if (node.config.blacklistedOs.includes(os)) {
    throw new GuestosError("OS_BLACKLISTED", `Guest OS '${os}' is not allowed for installation`, {
      hint: `allow it again with "guestos os modify --blacklisted no ${os}"`,
    });
  }
}
