import { GuestosError } from "../errors.js";
import type { NodeDiskTemplate } from "../node/types.js";
import type { TransferProgress } from "../ops/index.js";
import {
  parseBackendParams,
  parseDiskOptions,
  parseHvOption,
  parseNicOptions,
  parseTags,
} from "./instargs.js";
import { opOptionsOf, osParamSets, type JobCommandOptions } from "./instance.js";
import { withNode, type NodeOptions } from "./nodeopen.js";
import type { CommandResult } from "./output.js";
import { formatColumns } from "./table.js";

const COMPRESSIONS = ["none", "gzip", "zstd"] as const;

/**
 * Progress bars on a terminal (stderr): one line, redrawn in place, with a bar per disk side by side (the
 * disks move at once). Nothing without a terminal: the job log's progress lines are printed then.
 */
async function terminalProgress(
  json: boolean | undefined,
): Promise<((p: TransferProgress) => void) | undefined> {
  if (json || !process.stderr.isTTY) return undefined;
  const { renderProgressBar } = await import("../backup/index.js");
  const disks = new Map<string, TransferProgress>();
  let last = 0;
  return (p) => {
    disks.set(p.label, p);
    const now = Date.now();
    const all = [...disks.values()];
    const finished = all.every((d) => d.done);
    if (!finished && now - last < 200) return;
    last = now;
    const width = Math.floor((process.stderr.columns || 80) / all.length);
    const line = all
      .map((d) =>
        renderProgressBar(d.bytes, {
          total: d.total,
          elapsedMs: d.elapsedMs,
          label: d.label,
          width,
          done: d.done,
        }).replace(/^\r/, ""),
      )
      .join(" ");
    process.stderr.write(`\r${line}${finished ? "\n" : ""}`);
  };
}

/** `guestos backup export NAME`. */
export async function backupExport(
  name: string,
  opts: JobCommandOptions & {
    dir?: string | undefined;
    compress?: string | undefined;
    includePrivate?: boolean | undefined;
  },
): Promise<CommandResult> {
  const compression = (opts.compress ?? "none") as (typeof COMPRESSIONS)[number];
  if (!COMPRESSIONS.includes(compression)) {
    throw new GuestosError(
      "BAD_OPTION",
      `Cannot export "${name}": --compress must be one of ${COMPRESSIONS.join(", ")}`,
    );
  }
  const { exportInstance } = await import("../ops/index.js");
  return withNode(opts, async (node) => {
    const onProgress = await terminalProgress(opts.json);
    const res = await exportInstance(
      node,
      { name, dir: opts.dir ?? null, compression, includePrivate: opts.includePrivate ?? false },
      { ...opOptionsOf(opts), ...(onProgress ? { onProgress } : {}) },
    );
    return opts.json ? { json: { jobId: res.jobId, ...res.result } } : {};
  });
}

/** Options of `backup import`. */
export interface ImportOptions extends JobCommandOptions {
  src: string;
  dir?: string | undefined;
  diskTemplate?: string | undefined;
  disk?: string[] | undefined;
  net?: string[] | undefined;
  nics?: boolean | undefined;
  osType?: string | undefined;
  osParameters?: string | undefined;
  osParametersPrivate?: string | undefined;
  osParametersSecret?: string | undefined;
  hypervisorParameters?: string | undefined;
  backendParameters?: string | undefined;
  tags?: string | undefined;
}

/** `guestos backup import --src NAME|PATH NEWNAME`. */
export async function backupImport(name: string, opts: ImportOptions): Promise<CommandResult> {
  const template = (opts.diskTemplate ?? "file") as NodeDiskTemplate;
  const disks = opts.disk && opts.disk.length > 0 ? parseDiskOptions(opts.disk, { template }) : null;
  const nics = opts.nics === false ? [] : opts.net && opts.net.length > 0 ? parseNicOptions(opts.net) : null;
  const { pub, priv, secret } = osParamSets(opts);
  const hv = opts.hypervisorParameters
    ? parseHvOption(opts.hypervisorParameters, { withHypervisor: true })
    : null;
  const { importInstance } = await import("../ops/index.js");
  return withNode(opts, async (node) => {
    const onProgress = await terminalProgress(opts.json);
    const res = await importInstance(
      node,
      {
        src: opts.src,
        dir: opts.dir ?? null,
        name,
        template,
        disks,
        nics,
        os: opts.osType ?? null,
        osparams: pub ?? {},
        osparamsPrivate: priv ?? {},
        osparamsSecret: secret ?? {},
        hypervisor: hv?.hypervisor ?? null,
        hvparams: hv?.params ?? {},
        beparams: opts.backendParameters ? parseBackendParams(opts.backendParameters) : {},
        tags: opts.tags ? parseTags(opts.tags) : null,
      },
      { ...opOptionsOf(opts), ...(onProgress ? { onProgress } : {}) },
    );
    return opts.json ? { json: { jobId: res.jobId, ...res.result } } : {};
  });
}

/** `guestos backup list`: gnt-backup list's Node/Export table. */
export async function backupList(
  opts: NodeOptions & {
    dir?: string | undefined;
    headers?: boolean | undefined;
    separator?: string | undefined;
  },
): Promise<CommandResult> {
  const { queryExports } = await import("../ops/index.js");
  return withNode(opts, (node) => {
    const rows = queryExports(node, opts.dir ?? null);
    if (opts.json) return { json: rows };
    const columns = [
      { title: "Node", alignRight: false },
      { title: "Export", alignRight: false },
    ];
    return {
      lines: formatColumns(
        columns,
        rows.map((r) => [r.node, r.export]),
        {
          header: opts.headers !== false,
          ...(opts.separator !== undefined ? { separator: opts.separator } : {}),
        },
      ),
    };
  });
}

/** `guestos backup info NAME|PATH`: what an export holds, from its config.ini. */
export async function backupInfo(
  src: string,
  opts: NodeOptions & { dir?: string | undefined },
): Promise<CommandResult> {
  const [{ exportPath, readConfigText }, { readExportConfig }] = await Promise.all([
    import("../ops/index.js"),
    import("../backup/index.js"),
  ]);
  return withNode(opts, (node) => {
    const path = exportPath(node, src, opts.dir ?? null);
    const info = readExportConfig(readConfigText(path, { src }), { source: `${path}/config.ini` });
    if (opts.json) return { json: { path, ...info, osparamsPrivate: Object.keys(info.osparamsPrivate) } };
    const lines = [
      `- Export: ${info.name}`,
      `  Path: ${path}`,
      `  OS: ${info.os ?? "None"}`,
      `  Made by: ${info.guestos ? "guestos" : "Ganeti"}`,
      `  Disks: `,
      ...info.disks.map((d, i) => {
        const meta = info.guestos?.dumps.find((x) => x.index === i);
        const extra = meta ? `, ${meta.compression}, ${meta.bytes} bytes, sha256 ${meta.sha256}` : "";
        return `    - disk/${i}: ${d.size}M, dump ${d.dump ?? "None"}${extra}`;
      }),
      `  NICs: `,
      ...info.nics.map((n, i) => `    - nic/${i}: ${n.mac ?? "None"}, ip ${n.ip ?? "None"}`),
      `  Private OS parameters: ${Object.keys(info.osparamsPrivate).length > 0 ? "included" : "not included"}`,
    ];
    return { lines };
  });
}

/** `guestos backup remove NAME`: nothing printed, as gnt-backup remove. */
export async function backupRemove(
  name: string,
  opts: JobCommandOptions & { dir?: string | undefined },
): Promise<CommandResult> {
  const { removeExport } = await import("../ops/index.js");
  return withNode(opts, async (node) => {
    const res = await removeExport(node, { name, dir: opts.dir ?? null }, opOptionsOf(opts));
    return opts.json ? { json: { jobId: res.jobId, ...res.result } } : {};
  });
}
