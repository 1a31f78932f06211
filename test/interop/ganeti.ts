import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestContext } from "node:test";
import { requireDeps, type Dep } from "./deps.js";
import { GANETI_PYTHON, runPythonScript } from "./python.js";
import type { DiskSpec, InstanceSpec } from "../../src/env/spec.js";
import type { NodeConfig } from "../../src/node/config.js";
import type { InstanceView } from "../../src/node/types.js";

/**
 * Debian's Ganeti 3.0 as a test oracle (spec/ganeti-as-test-oracle.md): one Python process per batch of
 * questions, answered by Ganeti's own backend functions (oracle/oracle.py).
 */

export { GANETI_PYTHON } from "./python.js";
/** Ganeti's Python package as installed by Debian's ganeti-3.0. */
export const GANETI_PACKAGE = "/usr/share/ganeti/default/ganeti";
/** Debian's OS search path. */
export const DEBIAN_OS_SEARCH_PATH = [
  "/srv/ganeti/os",
  "/usr/local/lib/ganeti/os",
  "/usr/lib/ganeti/os",
  "/usr/share/ganeti/os",
];
const ORACLE_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "oracle", "oracle.py");

const GANETI_DEPS: Dep[] = [
  { path: GANETI_PYTHON, pkg: "python3" },
  { path: GANETI_PACKAGE, pkg: "ganeti-3.0" },
];

/** True when Debian's Ganeti 3.0 and its interpreter are installed. */
export function ganetiAvailable(): boolean {
  return GANETI_DEPS.every((d) => existsSync(d.path));
}

/**
 * True when the Ganeti oracle can run. Otherwise the test is skipped with the reason, except on CI
 * (CI=true), where a silently skipped oracle would hide regressions: it fails (see requireDeps).
 */
export function requireGaneti(t: TestContext): boolean {
  return requireDeps(t, GANETI_DEPS);
}

/** One OS as DiagnoseOS reports it (its full tuple). `parameters` are Ganeti's raw `split(None, 1)` lists. */
export interface OracleDiagnoseEntry {
  name: string;
  path: string;
  valid: boolean;
  diagnose: string;
  variants: string[];
  parameters: string[][];
  api_versions: number[];
  trusted: boolean;
}

/** A valid OS as _TryOSFromDisk returns it. */
export interface OracleOs {
  name: string;
  path: string;
  api_versions: number[];
  variants: string[];
  parameters: string[][];
  trusted: boolean;
  scripts: Record<"create" | "create_untrusted" | "export" | "import" | "rename" | "verify", string | null>;
}

/** A NIC's network as the master attaches it (objects.Network.ToDict subset). */
export interface OracleNetinfo {
  name: string;
  uuid: string;
  network: string | null;
  gateway: string | null;
  network6: string | null;
  gateway6: string | null;
  mac_prefix: string | null;
  tags: string[];
}

/** A disk in the oracle's instance JSON. `logical_id[1]` is the stub device's dev_path. */
export interface OracleDisk {
  dev_type: string;
  logical_id: [string, string | null];
  path: string | null;
  uri: string | null;
  access: "kernelspace" | "userspace";
  mode: "rw" | "ro";
  size: number;
  name: string | null;
  uuid: string;
}

/**
 * A NIC in the oracle's instance JSON. With fill_cluster_defaults, an absent mode or link is the
 * cluster's nicparams default (the NIC's own nicparams do not hold it), as in Ganeti's config.
 */
export interface OracleNic {
  mac: string;
  ip: string | null;
  mode?: string;
  link?: string;
  uuid: string;
  name: string | null;
  netinfo?: OracleNetinfo;
}

/** The oracle's instance JSON (test/interop/oracle/env_oracle.py). */
export interface OracleInstance {
  name: string;
  os: string;
  hypervisor: string;
  uuid: string;
  ctime: number;
  mtime: number;
  primary_node: string;
  secondary_nodes: string[];
  hvparams: Record<string, unknown>;
  beparams: Record<string, unknown>;
  osparams: Record<string, string>;
  osparams_private: Record<string, string>;
  osparams_secret: Record<string, string>;
  disks: OracleDisk[];
  nics: OracleNic[];
  debug: number;
  old_name?: string;
  os_search_path: string[];
  /** false: hv/be/os/nic params are used as given; true: filled from `cluster` as the master's _InstDict does. */
  fill_cluster_defaults: boolean;
  /** The cluster's own settings (FillDict'ed over Ganeti's constants by the oracle). */
  cluster?: OracleCluster;
  stub_devices: true;
  operations?: ("create" | "reinstall" | "rename" | "import" | "export")[];
}

/** A cluster's settings as env_oracle.py's "cluster" field takes them (each over Ganeti's defaults). */
export interface OracleCluster {
  hvparams?: Record<string, Record<string, unknown>>;
  beparams?: Record<string, unknown>;
  nicparams?: Record<string, unknown>;
  osparams?: Record<string, Record<string, string>>;
  os_hvp?: Record<string, Record<string, Record<string, unknown>>>;
}

/** What RunCmd would have been called with for create, reinstall or rename. */
export interface OracleScriptCall {
  script: string;
  argv: string[];
  cwd: string;
  reset_env: boolean;
  log_file: string;
  env: Record<string, string>;
}

/** The import or export env of one disk. */
export interface OracleIeCall {
  index: number;
  env: Record<string, string>;
  cmd_prefix: string | null;
  cmd_suffix: string | null;
  expected_size: string;
}

/** An exception Ganeti raised for one operation. */
export interface OracleError {
  error: string;
}

export type OracleRequest =
  | { kind: "diagnose"; search_path: string[] }
  | { kind: "try_os"; name: string; base_dir: string | null; search_path?: string[] }
  | {
      kind: "validate";
      name: string;
      search_path: string[];
      osparams: Record<string, string>;
      force_variant?: boolean;
    }
  | { kind: "env"; instance: OracleInstance };

interface AnswerBase {
  ganeti_version: string;
  patches: { id: string; what: string }[];
}
export interface DiagnoseAnswer extends AnswerBase {
  kind: "diagnose";
  oses: OracleDiagnoseEntry[];
}
export type TryOsAnswer = AnswerBase & { kind: "try_os" } & (
    { ok: true; os: OracleOs } | { ok: false; message: string }
  );
export type ValidateAnswer = AnswerBase & { kind: "validate" } & (
    { ok: true } | { ok: false; exception: string; message: string }
  );
export interface EnvAnswer extends AnswerBase {
  kind: "env";
  os: Record<string, unknown>;
  operations: {
    create?: OracleScriptCall | OracleError;
    reinstall?: OracleScriptCall | OracleError;
    rename?: OracleScriptCall | OracleError;
    import?: (OracleIeCall | (OracleError & { index: number }))[] | OracleError;
    export?: (OracleIeCall | (OracleError & { index: number }))[] | OracleError;
  };
}

/** The answer type of one request type. */
export type AnswerFor<R extends OracleRequest> = R extends { kind: "diagnose" }
  ? DiagnoseAnswer
  : R extends { kind: "try_os" }
    ? TryOsAnswer
    : R extends { kind: "validate" }
      ? ValidateAnswer
      : EnvAnswer;

/** Ask Ganeti a batch of questions in one Python process; answers come back in request order. */
export async function askOracle<const R extends readonly OracleRequest[]>(
  requests: R,
): Promise<{ -readonly [K in keyof R]: AnswerFor<R[K]> }> {
  const stdout = await runPython(JSON.stringify(requests));
  const answers = JSON.parse(stdout) as (AnswerBase & { kind: string; error?: string })[];
  if (!Array.isArray(answers) || answers.length !== requests.length) {
    throw new Error(`Ganeti oracle gave ${String(answers.length)} answers to ${requests.length} requests`);
  }
  answers.forEach((a, i) => {
    if (a.error !== undefined)
      throw new Error(`Ganeti oracle failed on request ${i} (${a.kind}): ${a.error}`);
  });
  return answers as unknown as { -readonly [K in keyof R]: AnswerFor<R[K]> };
}

function runPython(input: string): Promise<string> {
  return runPythonScript(
    ORACLE_SCRIPT,
    input,
    process.env.ORACLE_VERBOSE === undefined ? {} : { ORACLE_VERBOSE: process.env.ORACLE_VERBOSE },
  );
}

// Ganeti's logical_id for a non-file disk: [<driver, VG or provider>, <path>]. Only logical_id[1] matters
// to the stub device; the first element follows Ganeti's shape for readability.
const LOGICAL_ID_HEAD: Record<DiskSpec["template"], string> = {
  file: "loop",
  sharedfile: "loop",
  gluster: "loop",
  plain: "xenvg",
  drbd: "stub-drbd",
  blockdev: "manual",
  rbd: "rbd",
  ext: "stub-provider",
};
const FILE_BASED = new Set<DiskSpec["template"]>(["file", "sharedfile", "gluster"]);

function toOracleDisk(d: DiskSpec): OracleDisk {
  const head = FILE_BASED.has(d.template) ? d.fileDriver : LOGICAL_ID_HEAD[d.template];
  return {
    // Our template names are Ganeti's DT_* strings (constants.DT_FILE = "file", DT_DRBD8 = "drbd", ...).
    dev_type: d.template,
    logical_id: [head, d.path],
    path: d.path,
    uri: d.uri,
    // constants.DISK_KERNELSPACE = "kernelspace", DISK_USERSPACE = "userspace"
    access: d.access === "kernel" ? "kernelspace" : "userspace",
    mode: d.mode,
    size: d.size,
    name: d.name,
    uuid: d.uuid,
  };
}

/** Our resolved instance spec as the oracle's instance JSON (no cluster defaults, stub devices). */
export function toOracleInstance(
  spec: InstanceSpec,
  searchPath: string[],
  opts: { oldName?: string; operations?: OracleInstance["operations"] } = {},
): OracleInstance {
  const inst: OracleInstance = {
    name: spec.name,
    os: spec.os,
    hypervisor: spec.hypervisor,
    uuid: spec.uuid,
    ctime: spec.ctime,
    mtime: spec.mtime,
    primary_node: spec.primaryNode,
    secondary_nodes: [...spec.secondaryNodes],
    hvparams: { ...spec.hvparams },
    beparams: { ...spec.beparams },
    osparams: { ...spec.osparams },
    osparams_private: { ...spec.osparamsPrivate },
    osparams_secret: { ...spec.osparamsSecret },
    disks: spec.disks.map(toOracleDisk),
    nics: spec.nics.map((n) => {
      const nic: OracleNic = {
        mac: n.mac,
        ip: n.ip,
        mode: n.mode,
        link: n.link,
        uuid: n.uuid,
        name: n.name,
      };
      if (n.network !== null) {
        nic.netinfo = {
          name: n.network.name,
          uuid: n.network.uuid,
          network: n.network.subnet,
          gateway: n.network.gateway,
          network6: n.network.subnet6,
          gateway6: n.network.gateway6,
          mac_prefix: n.network.macPrefix,
          tags: [...n.network.tags],
        };
      }
      return nic;
    }),
    debug: spec.debugLevel,
    os_search_path: [...searchPath],
    fill_cluster_defaults: false,
    stub_devices: true,
  };
  if (opts.oldName !== undefined) inst.old_name = opts.oldName;
  if (opts.operations !== undefined) inst.operations = [...opts.operations];
  return inst;
}

/** A guestos node's config as the cluster settings Ganeti's master would fill instances from. */
export function nodeConfigAsCluster(
  config: Pick<NodeConfig, "hvparams" | "beparams" | "nicparams" | "osparams" | "osHvp">,
): OracleCluster {
  return {
    hvparams: structuredClone(config.hvparams),
    beparams: structuredClone(config.beparams),
    nicparams: structuredClone(config.nicparams),
    osparams: structuredClone(config.osparams),
    os_hvp: structuredClone(config.osHvp),
  };
}

/**
 * A stored guestos instance (`instance info --json`) as the Ganeti instance object for the oracle: the
 * instance's OWN hv/be/os/nic params, filled by Ganeti itself from `config` (fill_cluster_defaults), the
 * node's uuid as primary node. Private values are not in a view: the caller passes the instance's stored
 * ones. `osparamsOverride` is the instance_os_add RPC's override dict (create: the opcode's secret params;
 * reinstall: the LU's whole SimpleFillOS result), passed as the oracle's osparams_secret.
 */
export function viewToOracleInstance(
  view: InstanceView,
  opts: {
    config: Pick<NodeConfig, "hvparams" | "beparams" | "nicparams" | "osparams" | "osHvp">;
    searchPath: string[];
    privateParams?: Record<string, string>;
    osparamsOverride?: Record<string, string>;
    debugLevel?: number;
    oldName?: string;
    operations?: OracleInstance["operations"];
  },
): OracleInstance {
  const inst: OracleInstance = {
    name: view.name,
    os: view.os,
    hypervisor: view.hypervisor,
    uuid: view.uuid,
    ctime: view.ctime,
    mtime: view.mtime,
    primary_node: view.primaryNodeUuid,
    secondary_nodes: [],
    hvparams: structuredClone(view.hvparams),
    beparams: structuredClone(view.beparams),
    osparams: { ...view.osparams },
    osparams_private: { ...opts.privateParams },
    osparams_secret: { ...opts.osparamsOverride },
    disks: view.disks.map((d): OracleDisk => ({
      // constants.DT_BLOCK = "blockdev" with driver "manual"; DT_FILE = "file" with driver "loop".
      dev_type: view.diskTemplate === "blockdev" ? "blockdev" : "file",
      logical_id: [view.diskTemplate === "blockdev" ? "manual" : "loop", d.path],
      path: d.path,
      uri: null,
      access: "kernelspace",
      mode: d.mode,
      size: d.size,
      name: d.name,
      uuid: d.uuid,
    })),
    nics: view.nics.map((n) => {
      const nic: OracleNic = { mac: n.mac, ip: n.ip, uuid: n.uuid, name: n.name };
      if (n.mode !== null) nic.mode = n.mode;
      if (n.link !== null) nic.link = n.link;
      return nic;
    }),
    debug: opts.debugLevel ?? 0,
    os_search_path: [...opts.searchPath],
    fill_cluster_defaults: true,
    cluster: nodeConfigAsCluster(opts.config),
    stub_devices: true,
  };
  if (opts.oldName !== undefined) inst.old_name = opts.oldName;
  if (opts.operations !== undefined) inst.operations = [...opts.operations];
  return inst;
}

/**
 * Ganeti's objects.Cluster.SimpleFillOS with private and secret params (master side, so the oracle does
 * not run it): public defaults of the base name, then of the full name, then the instance's; the same for
 * private ones over the cluster's private defaults; then public.update(private).update(secret). Ganeti
 * refuses a key given in two of the three; so does this.
 */
export function simpleFillOs(
  os: string,
  publicParams: Record<string, string>,
  opts: {
    osparams: Record<string, Record<string, string>>;
    privateDefaults?: Record<string, Record<string, string>>;
    privateParams?: Record<string, string>;
    secretParams?: Record<string, string>;
  },
): Record<string, string> {
  const base = os.split("+", 1)[0]!;
  const layer = (byOs: Record<string, Record<string, string>>, own: Record<string, string>) => ({
    ...byOs[base],
    ...byOs[os],
    ...own,
  });
  const pub = layer(opts.osparams, publicParams);
  const priv = layer(opts.privateDefaults ?? {}, opts.privateParams ?? {});
  const secret = { ...opts.secretParams };
  const keys = [...Object.keys(pub), ...Object.keys(priv), ...Object.keys(secret)];
  const repeated = keys.filter((k, i) => keys.indexOf(k) !== i);
  if (repeated.length > 0) throw new Error(`SimpleFillOS: keys given twice: ${repeated.join(", ")}`);
  return { ...pub, ...priv, ...secret };
}
