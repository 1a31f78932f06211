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
    .option("--no-headers", "do not print the header line")
    .option("--json", "print JSON")
    .action((o) => act(o.json, async () => (await import("./os.js")).osList(o)));

  os.command("diagnose")
    .description("show every OS definition and its status; exit 1 if any is invalid")
    .addOption(searchPath())
    .option("--json", "print JSON")
    .action((o) => act(o.json, async () => (await import("./os.js")).osDiagnose(o)));

  os.command("info")
    .alias("show")
    .description("show details of OS definitions, as gnt-os info")
    .argument("[names...]", "OS names")
    .addOption(searchPath())
    .option("--json", "print JSON")
    .action((names, o) => act(o.json, async () => (await import("./os.js")).osInfo(names, o)));

  os.command("validate")
    .description("check an OS name, its variant and parameters, running the OS's verify script")
    .argument("<name>", "NAME[+VARIANT]")
    .addOption(searchPath())
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

  program
    .command("demo")
    .description("a tour of the engine in a throwaway directory (no root needed)")
    .option("--keep", "keep the demo directory")
    .action((o) => act(false, async () => (await import("./demo.js")).demo(o)));

  return program;
}

await buildProgram().parseAsync(process.argv);
