import { join } from "node:path";
import { checkDump, readDump, readExportConfig, type Compression, type ExportInfo } from "../backup/index.js";
import { GuestosError } from "../errors.js";
import { getInstance, macInUse, osLogDir, updateInstance } from "../node/index.js";
import { BES_PARAMETER_COMPAT, HVC_GLOBALS, HVS_PARAMETER_TYPES } from "../node/hvdata.js";
import type { NodeHandle } from "../node/node.js";
import { enforceTypes, upgradeBeParams } from "../node/params.js";
import type { InstanceRecord, NodeDiskTemplate, ParamDict } from "../node/types.js";
import type { OsDefinition } from "../osdef/types.js";
import { defineInstance, checkAddRequest } from "./add.js";
import { exportPath, readConfigText } from "./exports.js";
import { instanceSpecOf } from "./fill.js";
import { runJob, type JobContext } from "./job.js";
import { maskParams } from "./mask.js";
import { progressReporter } from "./progress.js";
import { trackScript } from "./track.js";
import { planScript } from "../run/planned.js";
import { recordInstallFailure, runInstanceScript } from "./script.js";
import type { AddRequest, DiskRequest, NicRequest, OpOptions, OpResult } from "./types.js";

/** `backup import --src NAME|PATH [-t T] [--disk ..] [--net ..] [-o OS] [-O ..] NEWNAME`. */
export interface ImportRequest {
  src: string;
  /** The export root a bare `--src NAME` is looked up in (default `<home>/export`). */
  dir?: string | null;
  name: string;
  template?: NodeDiskTemplate;
  /** Sizes (and names, modes) of the new disks; default: the export's. */
  disks?: DiskRequest[] | null;
  nics?: NicRequest[] | null;
  /** guestos extension: another OS than the export's (Ganeti always takes the export's). */
  os?: string | null;
  osparams?: Record<string, string>;
  osparamsPrivate?: Record<string, string>;
  osparamsSecret?: Record<string, string>;
  hypervisor?: string | null;
  hvparams?: ParamDict;
  beparams?: ParamDict;
  tags?: string[] | null;
}

/** What LUInstanceCreate._ReadExportParams makes of an export, merged under what the user gave. */
function importAdd(req: ImportRequest, info: ExportInfo, ctxLog: (text: string) => void): AddRequest {
  const os = req.os ?? info.os;
  if (!os) throw new GuestosError("EXPORT_NO_OS", `Cannot import "${req.src}": the export names no OS`);
  const disks: DiskRequest[] =
    req.disks ??
    info.disks.map((d, i) => ({ index: i, size: d.size, adopt: null, mode: "rw" as const, name: d.name }));
  const template = req.template ?? "file";
  if (disks.length === 0 && template !== "diskless") {
    throw new GuestosError(
      "EXPORT_NO_DISKS",
      "No disk info specified and the export is missing the disk information",
    );
  }
  const nics: NicRequest[] =
    req.nics ??
    info.nics.map((n, i) => {
      if (n.network)
        ctxLog(`NIC ${i}: network ${n.network} of the export is not used (guestos has no networks)`);
      return {
        index: i,
        mac: n.mac ?? "auto",
        ip: n.ip,
        mode: n.mode,
        link: n.link,
        vlan: n.vlan,
        name: n.name,
        network: null,
      };
    });
  const hvFromExport = Object.fromEntries(
    Object.entries(info.hvparams).filter(([k]) => !HVC_GLOBALS.includes(k)),
  );
  const hvparams = enforceTypes({ ...hvFromExport, ...req.hvparams }, HVS_PARAMETER_TYPES, {
    what: "hypervisor",
  });
  const beparams = enforceTypes(
    upgradeBeParams({ ...info.beparams, ...req.beparams }),
    BES_PARAMETER_COMPAT,
    {
      what: "backend",
    },
  );
  delete beparams.memory;
  return {
    name: req.name,
    os,
    template,
    disks,
    nics,
    osparams: { ...info.osparams, ...req.osparams },
    osparamsPrivate: { ...info.osparamsPrivate, ...req.osparamsPrivate },
    osparamsSecret: { ...req.osparamsSecret },
    hypervisor: req.hypervisor ?? info.hypervisor,
    hvparams,
    beparams,
    tags: req.tags ?? info.tags,
    // Ganeti forces the variant check off for imports: the export's OS string is taken as it is.
    forceVariant: true,
  };
}

async function importDisks(
  ctx: JobContext,
  os: OsDefinition,
  rec: InstanceRecord,
  info: ExportInfo,
  path: string,
  add: AddRequest,
  opts: OpOptions,
): Promise<void> {
  const { node } = ctx;
  const spec = instanceSpecOf(node, rec, {
    privateParams: add.osparamsPrivate ?? {},
    secretParams: add.osparamsSecret ?? {},
  });
  const failures: string[] = [];
  await Promise.all(
    rec.disks.map(async (disk) => {
      const src = info.disks[disk.index];
      if (!src?.dump) {
        ctx.log("warning", `disk/${disk.index} has no dump in the export and was not imported`);
        return;
      }
      const meta = info.guestos?.dumps.find((d) => d.file === src.dump) ?? null;
      const compression: Compression = meta?.compression ?? "none";
      const label = `disk/${disk.index}`;
      const from = info.source === node.identity.uuid ? node.identity.name : (info.source ?? "the export");
      ctx.log("message", `Exporting ${label} from ${from} to ${node.identity.name}`);
      const progress = progressReporter(ctx, label, meta?.bytes ?? null, opts);
      const tracked = trackScript(ctx, [disk.path]);
      try {
        const plan = planScript("import", os, spec, { logDir: osLogDir(node.home), disk: disk.index });
        const out = await readDump({
          plan,
          dumpPath: join(path, src.dump),
          compression,
          disk: disk.index,
          sha256: meta?.sha256 ?? null,
          bytes: meta?.bytes ?? null,
          ...(opts.timeout ? { timeoutMs: opts.timeout * 1000 } : {}),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          onProgress: progress.update,
          onSpawn: tracked.onSpawn,
          onLogFile: (p: string) => ctx.addLogFile(p),
        });
        progress.done(meta?.bytes ?? null);
        ctx.log(
          "message",
          `${label} finished receiving data (${out.verified ? "sha256 verified" : "not verified: the export records no checksum"})`,
        );
        if (out.unreadBytes > 0) {
          ctx.log(
            "warning",
            `${label}: the import script left the last ${out.unreadBytes} bytes of the dump unread (tolerated, as Ganeti's pipe does)`,
          );
        }
      } catch (err) {
        progress.done(null);
        failures.push(`${label}: ${(err as Error).message}`);
      } finally {
        tracked.release();
      }
    }),
  );
  if (failures.length > 0) {
    throw new GuestosError("IMPORT_FAILED", `Cannot import instance ${rec.name}:\n${failures.join("\n")}`);
  }
}

/**
 * Import an export made by guestos or by Ganeti (LUInstanceCreate in import mode): read config.ini by
 * Ganeti's rules, define the instance as `instance add` does, stream each dump into the OS import
 * script (all disks at once, checksums verified on the way when the export has them), then run rename
 * with the exported name. Unlike Ganeti, a disk that fails to import fails the job and marks the instance.
 */
export async function importInstance(
  node: NodeHandle,
  req: ImportRequest,
  opts: OpOptions = {},
): Promise<OpResult<{ name: string; from: string }>> {
  const path = exportPath(node, req.src, req.dir);
  const info = readExportConfig(readConfigText(path, { src: req.src }), { source: join(path, "config.ini") });
  const notes: string[] = [];
  const add = importAdd(req, info, (t) => notes.push(t));
  if (!req.nics) {
    // The export's MACs are kept, unless another instance here has one (its source, typically): then a new
    // MAC is generated, where Ganeti would refuse the import.
    add.nics = add.nics.map((n) => {
      if (n.mac === "auto" || !macInUse(node.db, n.mac)) return n;
      notes.push(`NIC ${n.index}: MAC ${n.mac} of the export is in use here; a new one is generated`);
      return { ...n, mac: "auto" };
    });
  }
  checkAddRequest(add);
  // Every dump is there, at its recorded size, before anything is created (readDump checks again).
  add.disks.forEach((_, i) => {
    const dump = info.disks[i]?.dump;
    if (!dump) return;
    const meta = info.guestos?.dumps.find((d) => d.file === dump);
    checkDump(join(path, dump), { disk: i, bytes: meta?.bytes ?? null });
  });
  const input = {
    instance_name: req.name,
    mode: "import",
    src_path: path,
    os_type: add.os,
    disk_template: add.template,
    osparams: add.osparams,
    osparams_private: maskParams(add.osparamsPrivate),
    osparams_secret: maskParams(add.osparamsSecret),
  };
  return runJob(
    node,
    { op: "INSTANCE_CREATE", target: req.name, input, locks: [`instance:${req.name}`] },
    opts,
    async (ctx) => {
      for (const n of notes) ctx.log("warning", n);
      const { os, record } = await defineInstance(ctx, add, { install: true, announce: "import" });
      ctx.log("message", "* running the instance OS import scripts...");
      try {
        await importDisks(ctx, os, record, info, path, add, opts);
      } catch (err) {
        recordInstallFailure(node, record.uuid, (err as Error).message);
        throw err;
      }
      // Ganeti runs rename after every import, even under the same name.
      ctx.log("message", `Running rename script for ${req.name}`);
      try {
        const spec = instanceSpecOf(node, getInstance(node.db, req.name)!, {
          debugLevel: opts.debugLevel ?? 0,
        });
        await runInstanceScript(ctx, "rename", os, spec, {
          oldName: info.name ?? req.name,
          timeout: opts.timeout ?? null,
        });
      } catch (err) {
        ctx.log(
          "warning",
          `Failed to run rename script for ${req.name} on node ${node.identity.name}: ${(err as Error).message}`,
        );
      }
      updateInstance(node.db, record.uuid, { installState: "installed", lastError: null });
      return { name: req.name, from: path };
    },
  );
}
