import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GuestosError } from "../errors.js";
import type { ParamDict } from "./types.js";

/**
 * The node's defaults, kept in `<home>/config.json` (hand-editable; guestos rewrites it atomically on
 * `os modify`). Every field is optional in the file. It mirrors the cluster-level settings Ganeti keeps
 * in its config: hypervisor defaults, beparams, nicparams, os_hvp, osparams, hidden_os, blacklisted_os.
 * Per-OS private parameters are not here: they live in the store.
 */
export interface NodeConfig {
  /** OS search path; null means GUESTOS_OS_SEARCH_PATH or Debian's default. */
  searchPath: string[] | null;
  /** The hypervisor new instances get unless `-H HV:` says otherwise. */
  hypervisor: string;
  /** Node-level overrides of Ganeti's hypervisor defaults, per hypervisor. */
  hvparams: Record<string, ParamDict>;
  /** Overrides of Ganeti's backend defaults. */
  beparams: ParamDict;
  /** Overrides of Ganeti's NIC defaults (mode, link, vlan). */
  nicparams: ParamDict;
  /** Per-OS hypervisor parameters (Ganeti's os_hvp), keyed by the exact OS string, then hypervisor. */
  osHvp: Record<string, Record<string, ParamDict>>;
  /** Per-OS public parameters (Ganeti's osparams), keyed by `name` or `name+variant`. */
  osparams: Record<string, Record<string, string>>;
  hiddenOs: string[];
  blacklistedOs: string[];
  /** Default script timeouts in seconds; null means none (Ganeti has none). */
  timeouts: { create: number | null; rename: number | null; verify: number | null };
}

/** The config file of a home. */
export function configPath(home: string): string {
  return join(home, "config.json");
}

/** The configuration of a node whose file says nothing. */
export function defaultConfig(): NodeConfig {
  return {
    searchPath: null,
    hypervisor: "kvm",
    hvparams: {},
    beparams: {},
    nicparams: {},
    osHvp: {},
    osparams: {},
    hiddenOs: [],
    blacklistedOs: [],
    timeouts: { create: null, rename: null, verify: null },
  };
}

type Check = (v: unknown) => boolean;
const isObj = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);
const isStrList: Check = (v) => Array.isArray(v) && v.every((s) => typeof s === "string");
const isParamDict: Check = (v) => isObj(v);
const dictOf =
  (inner: Check): Check =>
  (v) =>
    isObj(v) && Object.values(v).every(inner);
const isStrDict: Check = (v) => isObj(v) && Object.values(v).every((s) => typeof s === "string");
const isTimeout: Check = (v) =>
  v === null || (typeof v === "number" && Number.isInteger(v) && v > 0 && v <= 2_147_483);

const FIELDS: Record<keyof NodeConfig, [Check, string]> = {
  searchPath: [(v) => v === null || isStrList(v), "a list of directories or null"],
  hypervisor: [(v) => typeof v === "string" && v !== "", "a hypervisor name"],
  hvparams: [dictOf(isParamDict), "an object of hypervisor → parameters"],
  beparams: [isParamDict, "an object of parameters"],
  nicparams: [isParamDict, "an object of parameters"],
  osHvp: [dictOf(dictOf(isParamDict)), "an object of OS → hypervisor → parameters"],
  osparams: [dictOf(isStrDict), "an object of OS → string parameters"],
  hiddenOs: [isStrList, "a list of OS names"],
  blacklistedOs: [isStrList, "a list of OS names"],
  timeouts: [
    (v) =>
      isObj(v) &&
      Object.entries(v).every(([k, t]) => ["create", "rename", "verify"].includes(k) && isTimeout(t)),
    'an object with "create", "rename", "verify": seconds or null',
  ],
};

/** Check a parsed config document, filling absent fields with the defaults. */
export function parseConfig(doc: unknown, source: string): NodeConfig {
  const bad = (why: string): GuestosError =>
    new GuestosError("CONFIG_INVALID", `Cannot read the node configuration "${source}": ${why}`);
  if (!isObj(doc)) throw bad("it must be a JSON object");
  const out = defaultConfig() as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(doc)) {
    const field = FIELDS[key as keyof NodeConfig];
    if (!field) throw bad(`unknown field "${key}"`);
    if (!field[0](value)) throw bad(`"${key}" must be ${field[1]}`);
    out[key] = key === "timeouts" ? { ...defaultConfig().timeouts, ...(value as object) } : value;
  }
  return out as unknown as NodeConfig;
}

/** Read the home's config; a missing file means the defaults. */
export function readConfig(home: string): NodeConfig {
  const path = configPath(home);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return defaultConfig();
    throw new GuestosError("CONFIG_READ", `Cannot read the node configuration "${path}": ${String(err)}`, {
      cause: err,
    });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new GuestosError(
      "CONFIG_INVALID",
      `Cannot read the node configuration "${path}": ${(err as Error).message}`,
      { cause: err },
    );
  }
  return parseConfig(doc, path);
}

/** Write the config atomically (a temp file renamed over the old one), so a crash leaves one or the other. */
export function writeConfig(home: string, config: NodeConfig): void {
  const path = configPath(home);
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (err) {
    throw new GuestosError("CONFIG_WRITE", `Cannot write the node configuration "${path}": ${String(err)}`, {
      cause: err,
    });
  }
}
