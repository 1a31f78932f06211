import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { buildExportConfig, writeDump, writeIni, type Compression } from "../backup/index.js";
import { GuestosError } from "../errors.js";
import { getJob, getPrivateParams, osLogDir } from "../node/index.js";
import type { NodeHandle } from "../node/node.js";
import type { DiskRecord, InstanceRecord } from "../node/types.js";
import { exportRoot, publishExport, repairExportRoot, stagingDir, supersededDir } from "./exports.js";
import { instanceSpecOf, instanceView } from "./fill.js";
import { runJob, type JobContext } from "./job.js";
import { lockedInstance, requireDisks, resolveInstanceName } from "./lookup.js";
import { checkOsForInstance } from "./osvalidate.js";
import { progressReporter } from "./progress.js";
import { trackScript } from "./track.js";
import { planScript, type ScriptPlan } from "../run/planned.js";
import type { OpOptions, OpResult } from "./types.js";

/** `backup export NAME [--dir D] [--compress none|gzip|zstd] [--include-private]`. */
export interface ExportRequest {
  name: string;
  dir?: string | null;
  compression?: Compression;
  /** Write the private OS parameters into config.ini's [os_private], as Ganeti always does. */
  includePrivate?: boolean;
}

/** One dump written. */
export interface DumpResult {
  index: number;
  file: string;
  sha256: string;
  bytes: number;
  compression: Compression;
}

/** A raw copy of a disk for an instance without an OS: `cat` reads it, guestos never touches the bytes. */
function rawPlan(node: NodeHandle, rec: InstanceRecord, disk: DiskRecord): ScriptPlan {
  return {
    kind: "export",
    script: "/bin/cat",
    argv: ["/bin/cat", "--", disk.path],
    cwd: "/",
    env: { PATH: "/bin:/usr/bin" },
    logFile: join(osLogDir(node.home), `export-raw-${rec.name}-disk${disk.index}-${Date.now()}.log`),
  };
}

async function exportDisks(
  ctx: JobContext,
  rec: InstanceRecord,
  staging: string,
  compression: Compression,
  opts: OpOptions,
): Promise<DumpResult[]> {
  const { node } = ctx;
  const os = rec.os
    ? await checkOsForInstance(node, rec.os, { osparams: {}, forceVariant: true, validateParams: false })
    : null;
  if (os && !os.scripts.export)
    throw new GuestosError(
      "NO_SCRIPT",
      `Cannot export instance ${rec.name}: OS "${os.name}" has no export script`,
    );
  const spec = instanceSpecOf(node, rec, {});
  const failures: string[] = [];
  const results = await Promise.all(
    rec.disks.map(async (disk): Promise<DumpResult | null> => {
      const label = `disk/${disk.index}`;
      const plan = os
        ? planScript("export", os, spec, { logDir: osLogDir(node.home), disk: disk.index })
        : rawPlan(node, rec, disk);
      const file = disk.uuid;
      ctx.log("message", `Exporting ${label} from ${node.identity.name} to ${node.identity.name}`);
      const progress = progressReporter(ctx, label, disk.size * 2 ** 20, opts);
      const tracked = trackScript(ctx, [disk.path]);
      try {
        const out = await writeDump({
          plan,
          dumpPath: join(staging, file),
          compression,
          disk: disk.index,
          diskBytes: disk.size * 2 ** 20,
          ...(opts.timeout ? { timeoutMs: opts.timeout * 1000 } : {}),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
          onProgress: progress.update,
          onSpawn: tracked.onSpawn,
          onLogFile: (p: string) => ctx.addLogFile(p),
        });
        progress.done(out.rawBytes ?? out.bytes);
        ctx.log("message", `${label} finished sending data`);
        return { index: disk.index, file, sha256: out.sha256, bytes: out.bytes, compression };
      } catch (err) {
        progress.done(null);
        failures.push(`${label}: ${(err as Error).message}`);
        return null;
      } finally {
        tracked.release();
      }
    }),
  );
  if (failures.length > 0) {
    throw new GuestosError("EXPORT_FAILED", `Cannot export instance ${rec.name}:\n${failures.join("\n")}`, {
      hint: "nothing was written: the previous export, if any, is unchanged",
    });
  }
  return results as DumpResult[];
}

/**
 * Export an instance as Ganeti's gnt-backup does: each disk through the OS export script (all at once)
 * into a dump named by the disk's uuid, then config.ini. Everything is written into a staging directory
 * that replaces `<root>/<name>` only when every disk succeeded; a failure leaves no trace.
 */
export async function exportInstance(
  node: NodeHandle,
  req: ExportRequest,
  opts: OpOptions = {},
): Promise<OpResult<{ name: string; path: string; dumps: DumpResult[] }>> {
  const name = resolveInstanceName(node, req.name);
  const compression = req.compression ?? "none";
  const input = {
    instance_name: name,
    target_dir: req.dir ?? null,
    compress: compression,
    include_private: req.includePrivate ?? false,
  };
  return runJob(
    node,
    { op: "BACKUP_EXPORT", target: name, input, locks: [`instance:${name}`] },
    opts,
    async (ctx) => {
      const rec = lockedInstance(node, name);
      if (rec.disks.length === 0) throw new GuestosError("NO_DISKS", `Instance '${name}' has no disks`);
      await requireDisks(rec, "export");
      const root = exportRoot(node, req.dir);
      await mkdir(root, { recursive: true, mode: 0o750 });
      await repairExportRoot(root, (id) => id !== ctx.id && getJob(node.db, id)?.status === "running");
      const staging = stagingDir(root, name, ctx.id);
      ctx.addResource("tempdir", staging);
      await mkdir(staging, { mode: 0o700 });
      try {
        const dumps = await exportDisks(ctx, rec, staging, compression, opts);
        ctx.log("message", `Finalizing export on ${node.identity.name}`);
        const doc = buildExportConfig(instanceView(node, rec), {
          timestamp: Math.floor(Date.now() / 1000),
          source: node.identity.uuid,
          dumps: dumps.map((d) => {
            const disk = rec.disks.find((x) => x.index === d.index)!;
            return { index: d.index, dump: d.file, size: disk.size, name: disk.name };
          }),
          ...(req.includePrivate ? { privateParams: getPrivateParams(node.db, rec.uuid) } : {}),
          guestos: {
            dumps: dumps.map((d) => ({
              index: d.index,
              file: d.file,
              sha256: d.sha256,
              bytes: d.bytes,
              compression: d.compression,
            })),
          },
        });
        await writeFile(join(staging, "config.ini"), writeIni(doc), { mode: 0o600 });
        const final = join(root, name);
        await publishExport(staging, final, supersededDir(root, name, ctx.id));
        ctx.removeResource("tempdir", staging);
        return { name, path: final, dumps };
      } catch (err) {
        await rm(staging, { recursive: true, force: true });
        ctx.removeResource("tempdir", staging);
        throw err;
      }
    },
  );
}
