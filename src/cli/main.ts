#!/usr/bin/env node
import { Argument, Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { emit, emitError, type CommandResult } from "./output.js";

/** Run one command body, print its result or its error, and set the exit code. */
async function act(
  json: boolean | undefined,
  body: () => Promise<CommandResult>,
  opts: { jsonToStderr?: boolean } = {},
): Promise<void> {
  try {
    process.exitCode = emit(await body());
  } catch (err) {
    process.exitCode = emitError(err, { json: json ?? false, jsonToStderr: opts.jsonToStderr ?? false });
  }
}

// InvalidArgumentError, not Error: commander turns it into a usage error (exit 1) instead of a crash with a stack.
const intArg =
  (what: string, max = Number.MAX_SAFE_INTEGER) =>
  (v: string): number => {
    if (/^\d+$/.test(v) && Number(v) <= max) return Number(v);
    const range = max === Number.MAX_SAFE_INTEGER ? "a non-negative integer" : `an integer from 0 to ${max}`;
    throw new InvalidArgumentError(`${what} must be ${range}, got "${v}"`);
  };

// Node's timers hold at most 2^31-1 ms; a longer timeout would silently fire after 1 ms and kill the script.
const MAX_TIMEOUT_S = Math.floor((2 ** 31 - 1) / 1000);

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const count = (_v: string, previous: number): number => previous + 1;
const homeOption = () =>
  new Option("--home <dir>", "guestos home (default: GUESTOS_HOME, /var/lib/guestos for root)");

/** The options jobOptions() adds, which commander's typings cannot follow through a helper. */
interface JobFlags {
  home?: string;
  wait?: true;
  timeout?: number;
  debug: number;
  printJobid?: true;
  json?: true;
}
const flags = <T>(o: T): T & JobFlags => o as T & JobFlags;

/** Options of every command that runs a job. */
function jobOptions<C>(cmd: C): C {
  (cmd as unknown as Command)
    .addOption(homeOption())
    .option("--wait", "wait for a busy instance instead of failing at once")
    .option(
      "--timeout <seconds>",
      "kill the OS script after this many seconds",
      intArg("--timeout", MAX_TIMEOUT_S),
    )
    .option("-d, --debug", "raise the debug level (DEBUG_LEVEL for the scripts); repeatable", count, 0)
    .option("--print-jobid", "print the job id first")
    .option("--json", "print JSON");
  return cmd;
}

function addInstanceCommands(program: Command): void {
  const inst = program.command("instance").description("instances on this node, as gnt-instance");
  const load = () => import("./instance.js");

  jobOptions(
    inst
      .command("add")
      .description("create an instance: validate, create its disks, run the OS create script")
      .argument("<name>", "instance name (a host name)")
      .requiredOption("-o, --os-type <os>", "OS[+VARIANT]")
      .option("-t, --disk-template <template>", "file, blockdev or diskless", "file")
      .option("--disk <spec>", "N:size=S[,mode=ro,name=X] or N:adopt=/dev/X; repeatable", collect, [])
      .option("-s, --os-size <size>", "one disk of this size (instead of --disk)")
      .option("--net <spec>", "N:mac=auto|MAC,ip=..,mode=..,link=..,name=..; repeatable", collect, [])
      .option("--no-nics", "no network interfaces")
      .option("-O, --os-parameters <params>", "OS parameters, key=value,...")
      .option("--os-parameters-private <params>", "private OS parameters (stored apart, never shown)")
      .option("--os-parameters-secret <params>", "secret OS parameters (given to this job's scripts only)")
      .option("-H, --hypervisor-parameters <hv:params>", "HV[:key=value,...]")
      .option("-B, --backend-parameters <params>", "backend parameters, key=value,...")
      .option("--tags <tags>", "comma-separated tags")
      .option("--no-install", "create the disks but do not run the OS create script")
      .option("--force-variant", "do not check the variant")
      .option("--no-start", "accepted for gnt-instance compatibility (guestos never starts instances)")
      .option("--no-name-check", "accepted for compatibility (guestos never resolves names)")
      .option("--no-ip-check", "accepted for compatibility"),
  ).action((name, o) => act(flags(o).json, async () => (await load()).instanceAdd(name, flags(o))));

  jobOptions(
    inst
      .command("reinstall")
      .description("run the OS create script again (INSTANCE_REINSTALL=1); stored parameters are kept")
      .argument("<name>", "instance name")
      .option("-o, --os-type <os>", "change the OS")
      .option("-O, --os-parameters <params>", "change OS parameters (key=default resets one)")
      .option("--os-parameters-private <params>", "change private OS parameters")
      .option("--os-parameters-secret <params>", "secret OS parameters for this run")
      .option("--force-variant", "do not check the variant")
      .option("-f, --force", "do not ask for confirmation"),
  ).action((name, o) => act(flags(o).json, async () => (await load()).instanceReinstall(name, flags(o))));

  jobOptions(
    inst
      .command("rename")
      .description("rename an instance, then run the OS rename script (its failure is a warning)")
      .argument("<old>", "current name")
      .argument("<new>", "new name")
      .option("--no-name-check", "accepted for compatibility (guestos never resolves names)")
      .option("--no-ip-check", "accepted for compatibility"),
  ).action((oldName, newName, o) =>
    act(flags(o).json, async () => (await load()).instanceRename(oldName, newName, flags(o))),
  );

  jobOptions(
    inst
      .command("modify")
      .description("change an instance's OS or parameters")
      .argument("<name>", "instance name")
      .option("-o, --os-type <os>", "change the OS (takes effect at the next reinstall)")
      .option("-O, --os-parameters <params>", "OS parameters (key=default resets one)")
      .option("--os-parameters-private <params>", "private OS parameters")
      .option("-H, --hypervisor-parameters <params>", "hypervisor parameters, key=value,...")
      .option("-B, --backend-parameters <params>", "backend parameters, key=value,...")
      .option("--force-variant", "do not check the variant")
      .option("-f, --force", "skip the OS checks"),
  ).action((name, o) => act(flags(o).json, async () => (await load()).instanceModify(name, flags(o))));

  jobOptions(
    inst
      .command("remove")
      .description("remove an instance and the disks guestos created (adopted devices are left alone)")
      .argument("<name>", "instance name")
      .option("-f, --force", "do not ask for confirmation")
      .option("--ignore-failures", "remove the instance even if its disks cannot be removed"),
  ).action((name, o) => act(flags(o).json, async () => (await load()).instanceRemove(name, flags(o))));

  inst
    .command("list")
    .description("list instances, as gnt-instance list")
    .argument("[names...]", "instance names")
    .option("-o, --output <fields>", "fields to show; +a,b adds to the default ones")
    .option("--no-headers", "do not print the header line")
    .option("--separator <sep>", "separate columns with this instead of aligning")
    .addOption(new Option("--units <unit>", "size units").choices(["h", "m", "g", "t"] as const))
    .addOption(homeOption())
    .option("--json", "print JSON")
    .action((names, o) => act(o.json, async () => (await load()).instanceList(names, o)));

  inst
    .command("info")
    .alias("show")
    .description("show instances in detail, as gnt-instance info")
    .argument("[names...]", "instance names")
    .option("--all", "all instances")
    .option("-s, --static", "leave out the live state")
    .addOption(homeOption())
    .option("--json", "print JSON")
    .action((names, o) => act(o.json, async () => (await load()).instanceInfo(names, o)));
}

function addBackupCommands(program: Command): void {
  const backup = program.command("backup").description("exports interchangeable with Ganeti's gnt-backup");
  const load = () => import("./backup.js");
  const dirOption = () => new Option("--dir <dir>", "the export directory (default: <home>/export)");

  jobOptions(
    backup
      .command("export")
      .description("export an instance: each disk through the OS export script, then config.ini")
      .argument("<name>", "instance name")
      .addOption(dirOption())
      .addOption(
        new Option("--compress <tool>", "compress the dumps").choices(["none", "gzip", "zstd"] as const),
      )
      .option("--include-private", "also write the private OS parameters (in clear) into config.ini"),
  ).action((name, o) => act(flags(o).json, async () => (await load()).backupExport(name, flags(o))));

  jobOptions(
    backup
      .command("import")
      .description("create an instance from an export made by guestos or Ganeti")
      .argument("<name>", "the new instance's name")
      .requiredOption("--src <name|path>", "an export name (under --dir) or an export directory")
      .addOption(dirOption())
      .option("-t, --disk-template <template>", "file, blockdev or diskless", "file")
      .option("--disk <spec>", "N:size=S[,mode=ro,name=X]; default: the export's disks", collect, [])
      .option("--net <spec>", "N:mac=..,ip=..,mode=..,link=..; default: the export's NICs", collect, [])
      .option("--no-nics", "no network interfaces")
      .option("-o, --os-type <os>", "another OS than the export's")
      .option("-O, --os-parameters <params>", "OS parameters over the export's")
      .option("--os-parameters-private <params>", "private OS parameters")
      .option("--os-parameters-secret <params>", "secret OS parameters for this job's scripts")
      .option("-H, --hypervisor-parameters <hv:params>", "HV[:key=value,...]")
      .option("-B, --backend-parameters <params>", "backend parameters, key=value,...")
      .option("--tags <tags>", "comma-separated tags"),
  ).action((name, o) => act(flags(o).json, async () => (await load()).backupImport(name, flags(o))));

  backup
    .command("list")
    .description("list exports, as gnt-backup list")
    .addOption(dirOption())
    .option("--no-headers", "do not print the header line")
    .option("--separator <sep>", "separate columns with this instead of aligning")
    .addOption(homeOption())
    .option("--json", "print JSON")
    .action((o) => act(o.json, async () => (await load()).backupList(o)));

  backup
    .command("info")
    .description("show what an export holds")
    .argument("<src>", "an export name or directory")
    .addOption(dirOption())
    .addOption(homeOption())
    .option("--json", "print JSON")
    .action((src, o) => act(o.json, async () => (await load()).backupInfo(src, o)));

  jobOptions(
    backup
      .command("remove")
      .description("remove an export")
      .argument("<name>", "export name")
      .addOption(dirOption()),
  ).action((name, o) => act(flags(o).json, async () => (await load()).backupRemove(name, flags(o))));
}

function addJobCommands(program: Command): void {
  const job = program.command("job").description("jobs: every change to the node is one, as gnt-job");
  const load = () => import("./job.js");
  job
    .command("list")
    .description("list jobs")
    .argument("[ids...]", "job ids")
    .option("-o, --output <fields>", "fields to show; +a,b adds to the default ones")
    .option("--no-headers", "do not print the header line")
    .option("--separator <sep>", "separate columns with this instead of aligning")
    .option("--pending", "only queued and waiting jobs")
    .option("--running", "only running jobs")
    .option("--error", "only failed jobs")
    .option("--finished", "only finished jobs")
    .addOption(homeOption())
    .option("--json", "print JSON")
    .action((ids, o) => act(o.json, async () => (await load()).jobList(ids, o)));
  job
    .command("info")
    .alias("show")
    .description("show jobs in detail")
    .argument("<ids...>", "job ids")
    .addOption(homeOption())
    .option("--json", "print JSON")
    .action((ids, o) => act(o.json, async () => (await load()).jobInfo(ids, o)));
  job
    .command("cancel")
    .description("cancel jobs that have not started (queued, or waiting for a lock)")
    .argument("<ids...>", "job ids")
    .addOption(homeOption())
    .option("--json", "print JSON")
    .action((ids, o) => act(o.json, async () => (await load()).jobCancel(ids, o)));
  job
    .command("watch")
    .description("follow a job's log until it ends; exit 1 if it failed")
    .argument("<id>", "job id")
    .addOption(homeOption())
    .option("--json", "print the finished job as JSON")
    .action((id, o) => act(o.json, async () => (await load()).jobWatch(id, o)));
}

/** Build the command tree; heavy modules load only inside the action that needs them. */
export function buildProgram(): Command {
  const program = new Command("guestos")
    .description("The Ganeti guest OS interface: discover, validate and run OS definitions as Ganeti does")
    .version("0.1.0")
    .showHelpAfterError();

  const os = program.command("os").description("OS definitions on the search path");
  const searchPath = () =>
    new Option(
      "--search-path <dirs>",
      "colon-separated OS search path (default: GUESTOS_OS_SEARCH_PATH or Debian's)",
    );

  os.command("list")
    .description("list valid OS names (name+variant), as gnt-os list")
    .addOption(searchPath())
    .addOption(homeOption())
    .option("--no-headers", "do not print the header line")
    .option("--json", "print JSON")
    .action((o) => act(o.json, async () => (await import("./os.js")).osList(o)));

  os.command("diagnose")
    .description("show every OS definition and its status; exit 1 if any is invalid")
    .addOption(searchPath())
    .addOption(homeOption())
    .option("--json", "print JSON")
    .action((o) => act(o.json, async () => (await import("./os.js")).osDiagnose(o)));

  os.command("info")
    .alias("show")
    .description("show details of OS definitions, as gnt-os info")
    .argument("[names...]", "OS names")
    .addOption(searchPath())
    .addOption(homeOption())
    .option("--json", "print JSON")
    .action((names, o) => act(o.json, async () => (await import("./os.js")).osInfo(names, o)));

  os.command("validate")
    .description("check an OS name, its variant and parameters, running the OS's verify script")
    .argument("<name>", "NAME[+VARIANT]")
    .addOption(searchPath())
    .addOption(homeOption())
    .option("-O, --os-parameters <params>", "OS parameters, key=value,...")
    .option("--force-variant", "do not check the variant")
    .option("--timeout <seconds>", "kill verify after this many seconds", intArg("--timeout", MAX_TIMEOUT_S))
    .option("--json", "print JSON")
    .action((name, o) => act(o.json, async () => (await import("./os.js")).osValidate(name, o)));

  os.command("run")
    .description("run one OS script for an instance spec exactly as a Ganeti node would")
    .addArgument(
      new Argument("<script>", "the script to run").choices([
        "create",
        "rename",
        "import",
        "export",
        "verify",
      ] as const),
    )
    .requiredOption("--instance <file>", "instance spec JSON (docs/instance-spec.md)")
    .option("--disk <n>", "disk index for import and export", intArg("--disk"))
    .option("--old-name <name>", "previous instance name, for rename")
    .option("--reinstall", "run create as a reinstall (INSTANCE_REINSTALL=1)")
    .option("--dry-run", "print what would run, with the full environment, and run nothing")
    .option("--log-dir <dir>", "where the script log goes (default: <home>/log/os)")
    .option("--home <dir>", "guestos home (default: GUESTOS_HOME, /var/lib/guestos for root)")
    .option(
      "--timeout <seconds>",
      "kill the script's process group after this many seconds",
      intArg("--timeout", MAX_TIMEOUT_S),
    )
    .addOption(searchPath())
    .option("--json", "print JSON")
    .action((script, o) =>
      // export's stdout is the disk stream: a JSON error there would end up inside the dump.
      act(o.json, async () => (await import("./osrun.js")).osRun(script, o), {
        jsonToStderr: script === "export",
      }),
    );

  os.command("modify")
    .description("change the node's settings for an OS (need not exist), as gnt-os modify")
    .argument("<name>", "NAME or NAME+VARIANT")
    .option("--hidden <yes|no>", "hide the OS from os list")
    .option("--blacklisted <yes|no>", "refuse new instances of the OS")
    .option("-O, --os-parameters <params>", "node defaults for the OS's parameters, key=value,...")
    .option("--os-parameters-private <params>", "private defaults (stored apart, never shown)")
    .option(
      "-H, --hypervisor-parameters <hv:params>",
      "per-OS hypervisor parameters, HV:key=value,...",
      collect,
      [],
    )
    .addOption(homeOption())
    .option("--json", "print JSON")
    .action((name, o) => act(o.json, async () => (await import("./os.js")).osModify(name, o)));

  addInstanceCommands(program);
  addBackupCommands(program);
  addJobCommands(program);

  program
    .command("demo")
    .description("a tour of the engine in a throwaway directory (no root needed)")
    .option("--keep", "keep the demo directory")
    .action((o) => act(false, async () => (await import("./demo.js")).demo(o)));

  return program;
}

await buildProgram().parseAsync(process.argv);
