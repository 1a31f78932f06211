import { randomBytes, randomUUID } from "node:crypto";
import type { z } from "zod";
// names.js, not the osdef index: osdef/validate imports env, and the index would close a cycle.
import { OS_NAME_MASK, splitNameVariant } from "../osdef/names.js";
import { isValidHostname } from "./hostname.js";
import { describeIssue, specError, type Path, type Problem } from "./issues.js";
import {
  FILE_TEMPLATES,
  instanceSpecInput,
  type DiskSpec,
  type InstanceSpec,
  type InstanceSpecInput,
  type NicSpec,
} from "./spec.js";

const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/;
const PARAM_DICTS = ["hvparams", "beparams", "osparams", "osparamsPrivate", "osparamsSecret"] as const;

/** zod silently drops a `__proto__` key from records; refuse it instead of losing a parameter. */
function protoKeys(doc: unknown): Problem[] {
  if (doc === null || typeof doc !== "object") return [];
  return PARAM_DICTS.flatMap((dict) => {
    const d = (doc as Record<string, unknown>)[dict];
    return d !== null && typeof d === "object" && Object.hasOwn(d, "__proto__")
      ? [{ path: [dict, "__proto__"], what: 'the name "__proto__" is not supported' }]
      : [];
  });
}

function generatedMac(): string {
  const bytes = [...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0"));
  return `aa:00:00:${bytes.join(":")}`;
}

type DiskInput = NonNullable<InstanceSpecInput["disks"]>[number];
type NicInput = NonNullable<InstanceSpecInput["nics"]>[number];

function resolveDisk(d: DiskInput): DiskSpec {
  const path = d.path ?? null;
  return {
    path,
    uri: d.uri ?? null,
    access: d.access ?? "kernel",
    mode: d.mode ?? "rw",
    uuid: d.uuid ?? randomUUID(),
    name: d.name ?? null,
    size: d.size,
    template: d.template ?? (path?.startsWith("/dev/") ? "blockdev" : "file"),
    fileDriver: d.fileDriver ?? "loop",
  };
}

function resolveNic(n: NicInput): NicSpec {
  const net = n.network;
  return {
    mac: (n.mac ?? generatedMac()).toLowerCase(),
    ip: n.ip ?? null,
    mode: n.mode ?? "bridged",
    link: n.link ?? "",
    uuid: n.uuid ?? randomUUID(),
    name: n.name ?? null,
    network: net
      ? {
          name: net.name,
          uuid: net.uuid ?? randomUUID(),
          subnet: net.subnet ?? null,
          gateway: net.gateway ?? null,
          subnet6: net.subnet6 ?? null,
          gateway6: net.gateway6 ?? null,
          macPrefix: net.macPrefix ?? null,
          tags: [...(net.tags ?? [])],
        }
      : null,
  };
}

function resolve(input: z.output<typeof instanceSpecInput>): InstanceSpec {
  const now = Date.now() / 1000;
  return {
    name: input.name,
    os: input.os,
    hypervisor: input.hypervisor ?? "fake",
    uuid: input.uuid ?? randomUUID(),
    ctime: input.ctime ?? now,
    mtime: input.mtime ?? now,
    primaryNode: input.primaryNode ?? randomUUID(),
    secondaryNodes: [...(input.secondaryNodes ?? [])],
    hvparams: { ...input.hvparams },
    beparams: { ...input.beparams },
    osparams: { ...input.osparams },
    osparamsPrivate: { ...input.osparamsPrivate },
    osparamsSecret: { ...input.osparamsSecret },
    debugLevel: input.debugLevel ?? 0,
    disks: (input.disks ?? []).map(resolveDisk),
    nics: (input.nics ?? []).map(resolveNic),
  };
}

/** Every string that reaches the environment verbatim must be free of NUL (list members are repr'd). */
function nulStrings(value: unknown, path: Path, out: Problem[]): void {
  if (typeof value === "string") {
    if (value.includes("\0")) out.push({ path, what: "must not contain a NUL character" });
  } else if (Array.isArray(value)) {
    const repr = path.length === 2 && (path[0] === "hvparams" || path[0] === "beparams");
    if (!repr) value.forEach((v, i) => nulStrings(v, [...path, i], out));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) nulStrings(v, [...path, k], out);
  }
}

function checkSpec(spec: InstanceSpec): Problem[] {
  const problems: Problem[] = [];
  const add = (path: Path, what: string): void => void problems.push({ path, what });
  if (!isValidHostname(spec.name)) {
    add(
      ["name"],
      `${JSON.stringify(spec.name)} is not a valid host name (dot-separated labels of letters, digits and "-", ` +
        `not starting or ending with "-", at most 63 characters each and 255 in all)`,
    );
  }
  const { name: osName, variant } = splitNameVariant(spec.os);
  if (!OS_NAME_MASK.test(osName))
    add(["os"], `the OS name ${JSON.stringify(osName)} must match ${OS_NAME_MASK.source}`);
  if (/[/\0]/.test(variant))
    add(["os"], `the variant ${JSON.stringify(variant)} must not contain "/" or NUL`);
  for (const dict of PARAM_DICTS) {
    const isOs = dict.startsWith("osparams");
    for (const key of Object.keys(spec[dict])) {
      if (isOs && key === "") add([dict, key], "the parameter name must not be empty");
      else if (/[=\0]/.test(key)) add([dict, key], 'the name must not contain "=" or NUL');
    }
  }
  spec.disks.forEach((disk, i) => {
    if (disk.access === "userspace" && !disk.uri) add(["disks", i, "uri"], "userspace access needs a uri");
    if (FILE_TEMPLATES.has(disk.template) && !disk.path) {
      add(
        ["disks", i, "path"],
        `a "${disk.template}" disk needs a path (set "template" for a userspace-only disk)`,
      );
    }
  });
  spec.nics.forEach((nic, i) => {
    if (!MAC.test(nic.mac)) {
      add(
        ["nics", i, "mac"],
        `${JSON.stringify(nic.mac)} is not a MAC address (six hex pairs, aa:00:00:12:34:56)`,
      );
    }
  });
  nulStrings(spec, [], problems);
  return problems;
}

/**
 * Reads an instance spec document (parsed JSON): checks it, applies the defaults and generates missing
 * uuids, times and MACs. Throws GuestosError SPEC_INVALID naming the field (`disks[1].size: ...`).
 */
export function parseInstanceSpec(doc: unknown, opts: { source?: string } = {}): InstanceSpec {
  const proto = protoKeys(doc);
  if (proto.length > 0) throw specError(proto, opts.source);
  const parsed = instanceSpecInput.safeParse(doc);
  if (!parsed.success)
    throw specError(
      parsed.error.issues.flatMap((issue) => describeIssue(issue, doc)),
      opts.source,
    );
  const spec = resolve(parsed.data);
  const problems = checkSpec(spec);
  if (problems.length > 0) throw specError(problems, opts.source);
  return spec;
}
