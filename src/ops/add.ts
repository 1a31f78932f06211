import { randomBytes, randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { isValidHostname } from "../env/hostname.js";
import { GuestosError } from "../errors.js";
import {
  createFileDisk,
  fileDiskPath,
  fileStorageDir,
  probeBlockdev,
  removeFileDisk,
  removeFileStorageDir,
} from "../disks/index.js";
import {
  deleteInstance,
  getInstance,
  insertInstance,
  macInUse,
  updateInstance,
  type NewInstance,
} from "../node/index.js";
import { HYPER_TYPES } from "../node/hvdata.js";
import type { NodeHandle } from "../node/node.js";
import type { DiskRecord, InstanceRecord, NicRecord } from "../node/types.js";
import type { OsDefinition } from "../osdef/types.js";
import { fullOsparams, instanceSpecOf } from "./fill.js";
import { runJob, type JobContext } from "./job.js";
import { maskParams } from "./mask.js";
import { checkNotBlacklisted, checkOsForInstance } from "./osvalidate.js";
import { recordInstallFailure, runInstanceScript } from "./script.js";
import type { AddRequest, NicRequest, OpOptions, OpResult } from "./types.js";

/** Checks of the request's shape that need no node state; failing them creates no job. */
export function checkAddRequest(req: AddRequest): void {
  if (!isValidHostname(req.name)) {
    throw new GuestosError(
      "BAD_NAME",
      `Cannot add instance "${req.name}": not a valid host name (dot-separated labels of letters, digits and "-", ` +
        `not starting or ending with "-", at most 63 characters each and 255 in all)`,
    );
  }
  if (req.template === "diskless" && req.disks.length > 0) {
    throw new GuestosError("BAD_DISK", "Diskless instance but disk information passed");
  }
  if (req.template !== "diskless" && req.disks.length === 0) {
    throw new GuestosError("BAD_DISK", "No disk information specified");
  }
  const seen = new Set<number>();
  for (const d of req.disks) {
    if (seen.has(d.index)) {
      throw new GuestosError("BAD_DISK", `Cannot add instance "${req.name}": disk ${d.index} is given twice`);
    }
    seen.add(d.index);
    if (d.adopt === null && (d.size === null || d.size <= 0)) {
      throw new GuestosError("BAD_DISK", `Missing size or adoption source for disk ${d.index}`);
    }
  }
  // Ganeti's order of checks (LUInstanceCreate.CheckArguments).
  const adopts = req.disks.filter((d) => d.adopt !== null);
  if (adopts.length > 0 && adopts.length < req.disks.length) {
    throw new GuestosError("BAD_DISK", "Either all disks are adopted or none is");
  }
  if (adopts.length > 0 && req.template !== "blockdev") {
    throw new GuestosError(
      "BAD_DISK",
      `Disk adoption is not supported for the '${req.template}' disk template`,
    );
  }
  if (adopts.length === 0 && req.template === "blockdev") {
    throw new GuestosError(
      "BAD_DISK",
      "Disk template blockdev requires disk adoption, but no 'adopt' parameter given",
    );
  }
  if (new Set(adopts.map((d) => resolve(d.adopt as string))).size < adopts.length) {
    throw new GuestosError("BAD_DISK", "Duplicate disk names given for adoption");
  }
  for (const n of req.nics) {
    if (n.network !== null) {
      throw new GuestosError(
        "BAD_NIC",
        `Cannot use network "${n.network}" on NIC ${n.index}: guestos has no networks`,
      );
    }
  }
}

/** `aa:00:00` plus three random bytes, as Ganeti generates with its default MAC prefix, unique on the node. */
function generateMac(node: NodeHandle, taken: Set<string>): string {
  for (;;) {
    const mac = `aa:00:00:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
    if (!taken.has(mac) && !macInUse(node.db, mac)) return mac;
  }
}

function buildNics(node: NodeHandle, nics: NicRequest[]): NicRecord[] {
  const taken = new Set<string>();
  return [...nics]
    .sort((a, b) => a.index - b.index)
    .map((n) => {
      let mac = n.mac;
      if (mac === "auto" || mac === "generate") mac = generateMac(node, taken);
      else if (taken.has(mac) || macInUse(node.db, mac)) {
        throw new GuestosError("MAC_IN_USE", `MAC address ${mac} already in use in cluster`);
      }
      taken.add(mac);
      return {
        uuid: randomUUID(),
        index: n.index,
        mac,
        ip: n.ip,
        mode: n.mode,
        link: n.link,
        vlan: n.vlan,
        name: n.name,
        network: null,
      };
    });
}

async function buildDisks(node: NodeHandle, req: AddRequest): Promise<DiskRecord[]> {
  const dir = fileStorageDir(node.home, req.name);
  const out: DiskRecord[] = [];
  for (const d of [...req.disks].sort((a, b) => a.index - b.index)) {
    const uuid = randomUUID();
    if (d.adopt !== null) {
      const dev = await probeBlockdev(d.adopt);
      const owner = node.db
        .prepare(
          "SELECT i.name, d.idx FROM disks d JOIN instances i ON i.uuid = d.instance_uuid WHERE d.path = ?",
        )
        .get(dev.path) as { name: string; idx: number } | undefined;
      if (owner) {
        throw new GuestosError(
          "ADOPT_IN_USE",
          `Cannot adopt "${dev.path}": it is disk/${owner.idx} of instance ${owner.name}`,
        );
      }
      out.push({
        uuid,
        index: d.index,
        size: Math.floor(dev.sizeBytes / 2 ** 20),
        mode: d.mode,
        name: d.name,
        path: dev.path,
        adopted: true,
      });
    } else {
      out.push({
        uuid,
        index: d.index,
        size: d.size ?? 0,
        mode: d.mode,
        name: d.name,
        path: fileDiskPath(dir, uuid, d.index),
        adopted: false,
      });
    }
  }
  return out;
}

/** What the job record shows of an add request (Ganeti's opcode fields; private values masked). */
function addInput(req: AddRequest): Record<string, unknown> {
  return {
    instance_name: req.name,
    os_type: req.os,
    disk_template: req.template,
    disks: req.disks.map((d) => ({
      index: d.index,
      size: d.size,
      adopt: d.adopt,
      mode: d.mode,
      name: d.name,
    })),
    nics: req.nics,
    osparams: req.osparams ?? {},
    osparams_private: maskParams(req.osparamsPrivate),
    osparams_secret: maskParams(req.osparamsSecret),
    hypervisor: req.hypervisor ?? null,
    hvparams: req.hvparams ?? {},
    beparams: req.beparams ?? {},
    tags: req.tags ?? [],
    no_install: req.noInstall ?? false,
    force_variant: req.forceVariant ?? false,
  };
}

async function createDisks(ctx: JobContext, disks: DiskRecord[]): Promise<void> {
  const made: string[] = [];
  try {
    for (const d of disks) {
      if (d.adopted) continue;
      await createFileDisk(d.path, d.size);
      made.push(d.path);
    }
  } catch (err) {
    for (const p of made) await removeFileDisk(p).catch(() => undefined);
    throw err;
  }
}

/**
 * What `instance add` and `backup import` share: every check (name, hypervisor, blacklist, OS, variant,
 * parameters through verify, adopted devices, MACs) before a disk is touched, then the record and the
 * disks. The record goes in first: if this process dies, recovery and `instance remove` know the disks.
 */
export async function defineInstance(
  ctx: JobContext,
  req: AddRequest,
  opts: { install: boolean; announce: "create" | "import" },
): Promise<{ os: OsDefinition; record: InstanceRecord }> {
  const { node } = ctx;
  if (getInstance(node.db, req.name)) {
    throw new GuestosError("INSTANCE_EXISTS", `Instance '${req.name}' is already in the cluster`);
  }
  const hypervisor = req.hypervisor ?? node.config.hypervisor;
  if (!(HYPER_TYPES as readonly string[]).includes(hypervisor)) {
    throw new GuestosError(
      "BAD_HYPERVISOR",
      `Cannot add instance "${req.name}": unknown hypervisor "${hypervisor}"`,
    );
  }
  checkNotBlacklisted(node, req.os);
  const os = await checkOsForInstance(node, req.os, {
    // What LUInstanceCreate validates: SimpleFillOS (node defaults; public, private, secret in that order).
    osparams: fullOsparams(node, req.os, {
      public: req.osparams ?? {},
      private: req.osparamsPrivate ?? {},
      secret: req.osparamsSecret ?? {},
    }),
    forceVariant: req.forceVariant ?? false,
  });
  const script = opts.announce === "import" ? os.scripts.import : os.scripts.create;
  if (opts.install && !script) {
    throw new GuestosError(
      "OS_UNTRUSTED",
      `Cannot install OS "${os.name}" on instance ${req.name}: it has only create_untrusted ` +
        "(untrusted OSes are installed through a helper VM, which guestos does not run)",
      { hint: "use --no-install, or an OS with a trusted create script" },
    );
  }
  const disks = await buildDisks(node, req);
  const nics = buildNics(node, req.nics);
  const record: NewInstance = {
    uuid: randomUUID(),
    name: req.name,
    os: req.os,
    hypervisor,
    diskTemplate: req.template,
    adminState: "down",
    installState: opts.install ? "pending" : "skipped",
    lastError: null,
    ctime: Date.now() / 1000,
    hvparams: req.hvparams ?? {},
    beparams: req.beparams ?? {},
    osparams: req.osparams ?? {},
    tags: req.tags ?? [],
    disks,
    nics,
  };
  const adopted = req.template === "blockdev";
  // Ganeti announces disk creation only when it creates them; adopted devices are taken as they are.
  if (!adopted) ctx.log("message", "* creating instance disks...");
  insertInstance(node.db, record, { privateParams: req.osparamsPrivate ?? {} });
  try {
    await createDisks(ctx, disks);
  } catch (err) {
    deleteInstance(node.db, record.uuid);
    await removeFileStorageDir(fileStorageDir(node.home, req.name)).catch(() => undefined);
    throw err;
  }
  ctx.log("message", `adding instance ${req.name} to cluster config`);
  // Printed even for a diskless instance, as LUInstanceCreate.Exec does.
  ctx.log("message", "adding disks to cluster config");
  return { os, record: getInstance(node.db, req.name)! };
}

/**
 * `instance add`: check everything (name, OS, variant, blacklist, parameters through verify, adopted
 * devices, MACs) before touching a disk; create the disks; run the OS create script. A failing create
 * script leaves the instance and its disks in place, marked failed, as Ganeti does.
 */
export async function addInstance(
  node: NodeHandle,
  req: AddRequest,
  opts: OpOptions = {},
): Promise<OpResult<{ name: string }>> {
  checkAddRequest(req);
  return runJob(
    node,
    { op: "INSTANCE_CREATE", target: req.name, input: addInput(req), locks: [`instance:${req.name}`] },
    opts,
    async (ctx) => {
      const adopted = req.template === "blockdev";
      const install = !req.noInstall && !adopted && req.template !== "diskless";
      if (req.noInstall) ctx.log("info", "No-installation mode selected, disabling startup");
      const { os, record: stored } = await defineInstance(ctx, req, { install, announce: "create" });
      if (adopted && !req.noInstall) {
        ctx.log(
          "info",
          `Disks were adopted: the OS create script is not run (as in Ganeti); install with "guestos instance reinstall ${req.name}"`,
        );
      }
      if (!install) return { name: req.name };
      ctx.log("message", "* running the instance OS create scripts...");
      const spec = instanceSpecOf(node, stored, {
        privateParams: req.osparamsPrivate ?? {},
        secretParams: req.osparamsSecret ?? {},
        debugLevel: opts.debugLevel ?? 0,
      });
      try {
        await runInstanceScript(ctx, "create", os, spec, { timeout: opts.timeout ?? null });
      } catch (err) {
        const e = err as GuestosError;
        const message = `Could not add os for instance ${req.name} on node ${node.identity.name}: ${e.message}`;
        recordInstallFailure(node, stored.uuid, message);
        throw new GuestosError(e.code ?? "SCRIPT_FAILED", message, {
          hint:
            `the instance is kept with its disks; retry with "guestos instance reinstall ${req.name}" ` +
            `or delete it with "guestos instance remove ${req.name}"${e.hint ? `; ${e.hint}` : ""}`,
          cause: err,
        });
      }
      updateInstance(node.db, stored.uuid, { installState: "installed", lastError: null });
      return { name: req.name };
    },
  );
}
