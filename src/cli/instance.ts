import { statSync } from "node:fs";
import { GuestosError } from "../errors.js";
import type { InstanceView, JobLogEntry, NodeDiskTemplate } from "../node/types.js";
import type { OpOptions } from "../ops/index.js";
import { confirm } from "./confirm.js";
import type { Hypervisor } from "../node/hvdata.js";
import {
  checkHvParams,
  checkOsParamsRepeated,
  parseBackendParams,
  parseDiskOptions,
  parseHvOption,
  parseNicOptions,
  parseOsParams,
  parseTags,
} from "./instargs.js";
import { renderInstanceInfo } from "./instinfo.js";
import { renderInstanceList } from "./instlist.js";
import { formatLogLine } from "./jobrender.js";
import { withNode, type NodeOptions } from "./nodeopen.js";
import { unknownFieldsResult, type CommandResult } from "./output.js";

/** Options of every instance command that runs a job. */
export interface JobCommandOptions extends NodeOptions {
  wait?: boolean | undefined;
  timeout?: number | undefined;
  debug?: number | undefined;
  printJobid?: boolean | undefined;
}

/** Progress lines on stdout as the job writes them (gnt-instance's format), unless --json. */
export function opOptionsOf(opts: JobCommandOptions): OpOptions {
  return {
    wait: opts.wait ?? false,
    ...(opts.timeout ? { timeout: opts.timeout } : {}),
    debugLevel: opts.debug ?? 0,
    onJob: (id) => {
      if (opts.printJobid && !opts.json) process.stdout.write(`${id}\n`);
    },
    onLog: (e: JobLogEntry) => {
      if (!opts.json) process.stdout.write(`${formatLogLine(e).join("\n")}\n`);
    },
  };
}

const TEMPLATES: readonly NodeDiskTemplate[] = ["file", "blockdev", "diskless"];

/** Options of `instance add`. */
export interface AddOptions extends JobCommandOptions {
  osType: string;
  diskTemplate?: string | undefined;
  disk?: string[] | undefined;
  osSize?: string | undefined;
  net?: string[] | undefined;
  nics?: boolean | undefined;
  osParameters?: string | undefined;
  osParametersPrivate?: string | undefined;
  osParametersSecret?: string | undefined;
  hypervisorParameters?: string | undefined;
  backendParameters?: string | undefined;
  tags?: string | undefined;
  install?: boolean | undefined;
  forceVariant?: boolean | undefined;
}

/** -O, --os-parameters-private and --os-parameters-secret, parsed, with no key given twice across them. */
export function osParamSets(opts: {
  osParameters?: string | undefined;
  osParametersPrivate?: string | undefined;
  osParametersSecret?: string | undefined;
}) {
  const pub = opts.osParameters === undefined ? undefined : parseOsParams(opts.osParameters, "-O");
  const priv =
    opts.osParametersPrivate === undefined
      ? undefined
      : parseOsParams(opts.osParametersPrivate, "--os-parameters-private");
  const secret =
    opts.osParametersSecret === undefined
      ? undefined
      : parseOsParams(opts.osParametersSecret, "--os-parameters-secret");
  checkOsParamsRepeated([pub ?? {}, priv ?? {}, secret ?? {}]);
  return { pub, priv, secret };
}

/** `guestos instance add ... NAME`. */
export async function instanceAdd(name: string, opts: AddOptions): Promise<CommandResult> {
  const template = (opts.diskTemplate ?? "file") as NodeDiskTemplate;
  if (!TEMPLATES.includes(template)) {
    throw new GuestosError(
      "BAD_TEMPLATE",
      `Cannot add instance "${name}": disk template "${opts.diskTemplate}" is not one of ${TEMPLATES.join(", ")}`,
    );
  }
  const disks = parseDiskOptions(opts.disk ?? [], {
    template,
    ...(opts.osSize !== undefined ? { sizeOption: opts.osSize } : {}),
  });
  const nics = parseNicOptions(opts.net ?? [], { noNics: opts.nics === false });
  const { pub, priv, secret } = osParamSets(opts);
  const hv = opts.hypervisorParameters
    ? parseHvOption(opts.hypervisorParameters, { withHypervisor: true })
    : null;
  const { addInstance } = await import("../ops/index.js");
  return withNode(opts, async (node) => {
    const res = await addInstance(
      node,
      {
        name,
        os: opts.osType,
        template,
        disks,
        nics,
        osparams: pub ?? {},
        osparamsPrivate: priv ?? {},
        osparamsSecret: secret ?? {},
        hypervisor: hv?.hypervisor ?? null,
        hvparams: hv?.params ?? {},
        beparams: opts.backendParameters ? parseBackendParams(opts.backendParameters) : {},
        tags: opts.tags ? parseTags(opts.tags) : [],
        noInstall: opts.install === false,
        forceVariant: opts.forceVariant ?? false,
      },
      opOptionsOf(opts),
    );
    return opts.json ? { json: { jobId: res.jobId, ...res.result } } : {};
  });
}

/** `guestos instance reinstall [-o OS] [-O ..] NAME`. */
export async function instanceReinstall(
  name: string,
  opts: JobCommandOptions & {
    osType?: string | undefined;
    osParameters?: string | undefined;
    osParametersPrivate?: string | undefined;
    osParametersSecret?: string | undefined;
    forceVariant?: boolean | undefined;
    force?: boolean | undefined;
  },
): Promise<CommandResult> {
  const { pub, priv, secret } = osParamSets(opts);
  const { reinstallInstance } = await import("../ops/index.js");
  return withNode(opts, async (node) => {
    if (!opts.force) {
      const change = opts.osType ? `change the OS to '${opts.osType}'` : "keep the same OS";
      if (
        !confirm(
          `This will reinstall the instance '${name}' (and ${change}) which removes all data. Continue?`,
          `reinstall "${name}"`,
        )
      ) {
        return { exitCode: 1 };
      }
    }
    const base = opOptionsOf(opts);
    const res = await reinstallInstance(
      node,
      {
        name,
        os: opts.osType ?? null,
        ...(pub ? { osparams: pub } : {}),
        ...(priv ? { osparamsPrivate: priv } : {}),
        ...(secret ? { osparamsSecret: secret } : {}),
        forceVariant: opts.forceVariant ?? false,
      },
      {
        ...base,
        // gnt-instance reinstall goes through JobExecutor.WaitOrShow, which always names the job it waits for.
        onJob: (id) => {
          base.onJob?.(id);
          if (!opts.json) process.stdout.write(`Waiting for job ${id} for ${name} ...\n`);
        },
      },
    );
    return opts.json ? { json: { jobId: res.jobId, ...res.result } } : {};
  });
}

/** `guestos instance rename OLD NEW`. */
export async function instanceRename(
  oldName: string,
  newName: string,
  opts: JobCommandOptions,
): Promise<CommandResult> {
  const { renameInstance } = await import("../ops/index.js");
  return withNode(opts, async (node) => {
    const res = await renameInstance(node, { name: oldName, newName }, opOptionsOf(opts));
    if (opts.json) return { json: { jobId: res.jobId, ...res.result } };
    return { lines: [`Instance '${oldName}' renamed to '${res.result.newName}'`] };
  });
}

const MODIFY_NOTE =
  "Please don't forget that most parameters take effect only at the next (re)start of the instance " +
  "initiated by ganeti; restarting from within the instance will not be enough.";

/** `guestos instance modify [-o OS] [-O ..] [--os-parameters-private ..] [-B ..] [-H ..] NAME`. */
export async function instanceModify(
  name: string,
  opts: JobCommandOptions & {
    osType?: string | undefined;
    osParameters?: string | undefined;
    osParametersPrivate?: string | undefined;
    hypervisorParameters?: string | undefined;
    backendParameters?: string | undefined;
    forceVariant?: boolean | undefined;
    force?: boolean | undefined;
  },
): Promise<CommandResult> {
  const { pub, priv } = osParamSets(opts);
  const req = {
    name,
    os: opts.osType ?? null,
    ...(pub ? { osparams: pub } : {}),
    ...(priv ? { osparamsPrivate: priv } : {}),
    ...(opts.hypervisorParameters
      ? { hvparams: parseHvOption(opts.hypervisorParameters, { withHypervisor: false }).params }
      : {}),
    ...(opts.backendParameters
      ? { beparams: parseBackendParams(opts.backendParameters, { modify: true }) }
      : {}),
    forceVariant: opts.forceVariant ?? false,
    force: opts.force ?? false,
  };
  const { hasModifications, modifyInstance, queryInstances } = await import("../ops/index.js");
  if (!hasModifications(req))
    throw new GuestosError("NOTHING_TO_DO", "Please give at least one of the parameters.");
  return withNode(opts, async (node) => {
    // -H on modify has no hypervisor prefix: the instance's own hypervisor types the values (as Ganeti).
    if (req.hvparams) {
      const [view] = queryInstances(node, [name], { unknown: "info" });
      checkHvParams(view!.hypervisor as Hypervisor, req.hvparams);
    }
    const res = await modifyInstance(node, req, opOptionsOf(opts));
    if (opts.json) return { json: { jobId: res.jobId, ...res.result } };
    const { changes } = res.result;
    if (changes.length === 0) return {};
    return {
      lines: [
        `Modified instance ${res.result.name}`,
        ...changes.map(([k, v]) => ` - ${k.padEnd(5)} -> ${v}`),
        MODIFY_NOTE,
      ],
    };
  });
}

/** `guestos instance remove [-f] NAME`. */
export async function instanceRemove(
  name: string,
  opts: JobCommandOptions & { force?: boolean | undefined; ignoreFailures?: boolean | undefined },
): Promise<CommandResult> {
  const { queryInstances, removeInstance } = await import("../ops/index.js");
  return withNode(opts, async (node) => {
    // The instance must exist before the question is asked (as Ganeti does).
    const [view] = queryInstances(node, [name], { unknown: "info" });
    const full = view!.name;
    if (!opts.force) {
      const q =
        `This will remove the volumes of the instance ${full} (including mirrors), thus removing all the data ` +
        "of the instance. Continue?";
      if (!confirm(q, `remove "${full}"`)) return { exitCode: 1 };
    }
    const res = await removeInstance(
      node,
      { name: full, ignoreFailures: opts.ignoreFailures ?? false },
      opOptionsOf(opts),
    );
    return opts.json ? { json: { jobId: res.jobId, ...res.result } } : {};
  });
}

/** `guestos instance list [-o FIELDS] [NAME...]`; exit 14 for unknown fields, as gnt-instance. */
export async function instanceList(
  names: string[],
  opts: NodeOptions & {
    output?: string | undefined;
    headers?: boolean | undefined;
    separator?: string | undefined;
    units?: string | undefined;
  },
): Promise<CommandResult> {
  const { queryInstances } = await import("../ops/index.js");
  return withNode(opts, (node) => {
    const views = queryInstances(node, names);
    if (opts.json) return { json: views };
    const out = renderInstanceList(views, {
      ...(opts.output ? { fields: opts.output } : {}),
      noHeaders: opts.headers === false,
      ...(opts.separator !== undefined ? { separator: opts.separator } : {}),
      ...(opts.units ? { units: opts.units as "h" | "m" | "g" | "t" } : {}),
    });
    return unknownFieldsResult(out);
  });
}

/** `guestos instance info NAME... | --all`. */
export async function instanceInfo(
  names: string[],
  opts: NodeOptions & { all?: boolean | undefined; static?: boolean | undefined },
): Promise<CommandResult> {
  if (names.length === 0 && !opts.all) {
    throw new GuestosError(
      "NO_INSTANCE",
      "No instance selected. Please pass in --all if you want to query all instances.\nNote that this can take a long time on a big cluster.",
    );
  }
  if (names.length > 0 && opts.all)
    throw new GuestosError("BAD_OPTION", "Cannot use --all if you specify instance names.");
  const { queryInstances } = await import("../ops/index.js");
  return withNode(opts, (node) => {
    const views = queryInstances(node, names, { unknown: "info" });
    if (opts.json) return { json: views };
    if (views.length === 0) return { lines: ["No instances."], exitCode: 1 };
    return {
      lines: renderInstanceInfo(views, { static: opts.static ?? false, devices: blockDevices(views) }),
    };
  });
}

/**
 * major:minor of each adopted block device, as Ganeti shows them on `on primary:` lines (file disks show
 * `N/A:N/A`); null for a device that is gone, which Ganeti leaves out.
 */
function blockDevices(views: InstanceView[]): Map<string, { major: number; minor: number } | null> {
  const out = new Map<string, { major: number; minor: number } | null>();
  for (const v of views) {
    for (const d of v.disks) {
      if (!d.adopted) continue;
      try {
        const st = statSync(d.path);
        if (!st.isBlockDevice()) {
          out.set(d.uuid, null);
          continue;
        }
        // Linux's dev_t layout (glibc's gnu_dev_major/minor); fits in a JS number for real devices.
        const rdev = BigInt(st.rdev);
        const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
        const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
        out.set(d.uuid, { major, minor });
      } catch {
        out.set(d.uuid, null);
      }
    }
  }
  return out;
}
