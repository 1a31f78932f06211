import { createReadStream, createWriteStream } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { parseInstanceSpec } from "../env/index.js";
import { isGuestosError } from "../errors.js";
import { diagnose, findOs, validateOs } from "../osdef/index.js";
import { planScript, runPlanned } from "../run/planned.js";
import { firstLine, nodeTour } from "./demonode.js";
import type { CommandResult } from "./output.js";
import { renderDiagnose } from "./osrender.js";

/** A small API-20 OS definition: plain sh scripts that write a banner into the first disk. */
const DEMO_OS: Record<string, string> = {
  ganeti_api_version: "20\n15\n10\n",
  "variants.list": "default\nminimal\n",
  "parameters.list": "greeting Text written into the disk banner\n",
  create: `#!/bin/sh
set -e
echo "create: $INSTANCE_NAME, variant $OS_VARIANT, reinstall=\${INSTANCE_REINSTALL:-no}"
printf 'guestos-demo %s %s %s\\n' "$INSTANCE_NAME" "$OS_VARIANT" "$OSP_GREETING" | dd of="$DISK_0_PATH" conv=notrunc status=none
`,
  rename: `#!/bin/sh
set -e
echo "rename: $OLD_INSTANCE_NAME -> $INSTANCE_NAME"
printf 'guestos-demo %s %s %s\\n' "$INSTANCE_NAME" "$OS_VARIANT" "$OSP_GREETING" | dd of="$DISK_0_PATH" conv=notrunc status=none
`,
  export: `#!/bin/sh
set -e
stat -c %s "$EXPORT_DEVICE" >&"$EXP_SIZE_FD"
exec cat "$EXPORT_DEVICE"
`,
  import: `#!/bin/sh
exec dd of="$IMPORT_DEVICE" conv=notrunc status=none
`,
  verify: `#!/bin/sh
case "$OSP_GREETING" in
  *[!a-zA-Z0-9\\ ,.!-]*) echo "greeting must be plain text, got: $OSP_GREETING"; exit 1 ;;
esac
exit 0
`,
};

/** Write the demo OS definition into `dir`. */
export async function writeDemoOs(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, body] of Object.entries(DEMO_OS)) {
    await writeFile(join(dir, name), body);
    if (!name.includes(".") && name !== "ganeti_api_version") await chmod(join(dir, name), 0o755);
  }
}

/** `guestos demo`: a tour of the engine in a throwaway directory, using nothing but the machine's /bin/sh. */
export async function demo(opts: { keep?: boolean | undefined }): Promise<CommandResult> {
  const root = await mkdtemp(join(tmpdir(), "guestos-demo-"));
  const out: string[] = [];
  const say = (line = "") => out.push(line);
  try {
    const searchDir = join(root, "os");
    await writeDemoOs(join(searchDir, "hello"));
    const logDir = join(root, "log");
    say(`Working in ${root}`);
    out.push(...(await nodeTour(root, searchDir)));
    say("\nThe engine underneath: each OS script run on its own (guestos os ...)");
    say("\n$ guestos os diagnose");
    out.push(...renderDiagnose(await diagnose([searchDir]), "localhost"));

    say("$ guestos os validate hello+minimal -O greeting=hi");
    await validateOs("hello+minimal", { searchPath: [searchDir], osparams: { greeting: "hi" } });
    say("  accepted");
    for (const [name, params] of [
      ["hello+nosuch", { greeting: "hi" }],
      ["hello+default", { colour: "blue" }],
      ["hello+default", { greeting: "hi; reboot" }],
    ] as const) {
      say(
        `$ guestos os validate ${name} -O ${Object.entries(params)
          .map(([k, v]) => `${k}=${v}`)
          .join(",")}`,
      );
      try {
        await validateOs(name, { searchPath: [searchDir], osparams: params });
        say("  accepted");
      } catch (err) {
        if (!isGuestosError(err)) throw err;
        say(`  rejected: ${err.message.trimEnd()}`);
      }
    }

    const disks = [join(root, "disk0.img"), join(root, "disk1.img")];
    for (const d of disks) {
      await writeFile(d, "");
      await truncate(d, 64 * 1024 * 1024);
    }
    const doc = {
      name: "web1.example.com",
      os: "hello+minimal",
      osparams: { greeting: "hello" },
      disks: [{ path: disks[0], size: 64 }],
      nics: [{ mac: "aa:00:00:12:34:56", ip: "192.0.2.10", mode: "bridged", link: "br0" }],
    };
    const spec = parseInstanceSpec(doc);
    const os = await findOs(spec.os, [searchDir]);
    const run = async (title: string, plan: ReturnType<typeof planScript>, io = {}) => {
      say(`\n$ ${title}`);
      const res = await runPlanned(plan, io);
      say(`  exit code ${res.exitCode}; log ${res.logFile}`);
      const log = res.logFile ? (await readFile(res.logFile, "utf8")).trimEnd() : "";
      if (log !== "") for (const l of log.split("\n")) say(`  | ${l}`);
      return res;
    };
    const create = planScript("create", os, spec, { logDir });
    say("\nThe environment create receives (guestos os run create --dry-run):");
    for (const [k, v] of Object.entries(create.env)) say(`  ${k}=${v}`);
    await run("guestos os run create", create);
    say(`  disk 0 now starts with: ${await firstLine(disks[0]!)}`);
    await run("guestos os run create --reinstall", planScript("reinstall", os, spec, { logDir }));

    const renamed = parseInstanceSpec({ ...doc, name: "web2.example.com", uuid: spec.uuid });
    await run(
      "guestos os run rename --old-name web1.example.com",
      planScript("rename", os, renamed, { logDir, oldName: "web1.example.com" }),
    );
    say(`  disk 0 now starts with: ${await firstLine(disks[0]!)}`);

    const dump = join(root, "disk0.dump");
    const sink = createWriteStream(dump);
    await once(sink, "open");
    const exp = await run(
      "guestos os run export --disk 0 > disk0.dump",
      planScript("export", os, renamed, { logDir, disk: 0 }),
      {
        stdout: sink,
      },
    );
    sink.end();
    await once(sink, "close");
    say(`  the script reported ${exp.expSize} bytes on EXP_SIZE_FD`);
    const target = parseInstanceSpec({
      ...doc,
      name: "web3.example.com",
      disks: [{ path: disks[1], size: 64 }],
    });
    await run(
      "guestos os run import --disk 0 < disk0.dump",
      planScript("import", os, target, { logDir, disk: 0 }),
      {
        stdin: createReadStream(dump),
      },
    );
    say(`  disk 1 now starts with: ${await firstLine(disks[1]!)}`);
    say(opts.keep ? `\nKept ${root}` : "\nDone; the demo directory was removed (use --keep to look at it).");
  } finally {
    if (!opts.keep) await rm(root, { recursive: true, force: true });
  }
  return { lines: out };
}
