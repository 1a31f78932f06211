import { existsSync } from "node:fs";
import { open, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { isGuestosError } from "../errors.js";
import { openNode, osLogDir, type NodeHandle } from "../node/index.js";
import type { JobLogEntry } from "../node/types.js";
import {
  addInstance,
  exportInstance,
  importInstance,
  queryInstances,
  queryJobs,
  reinstallInstance,
  removeInstance,
  renameInstance,
  type NicRequest,
  type OpOptions,
} from "../ops/index.js";
import { renderInstanceList } from "./instlist.js";
import { formatLogLine, renderJobList } from "./jobrender.js";

const NOOP = "/usr/share/ganeti/os";
const AUTO_NIC: NicRequest = {
  index: 0,
  mac: "auto",
  ip: null,
  mode: null,
  link: null,
  vlan: null,
  name: null,
  network: null,
};

/** The first line (at most 80 bytes) at the start of a disk image. */
export async function firstLine(path: string): Promise<string> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(80);
    const { bytesRead } = await fh.read(buf, 0, 80, 0);
    return buf.subarray(0, bytesRead).toString("latin1").split("\n")[0]!;
  } finally {
    await fh.close();
  }
}

/**
 * The node part of `guestos demo`: a throwaway home, the demo OS (and Debian's noop when installed) run
 * through instance add, reinstall, rename and remove on sparse file disks, as the CLI would print it.
 */
export async function nodeTour(root: string, searchDir: string): Promise<string[]> {
  const out: string[] = [];
  const say = (line = "") => out.push(line);
  const home = join(root, "home");
  const withNoop = existsSync(join(NOOP, "noop"));
  const node: NodeHandle = await openNode(home);
  try {
    const searchPath = withNoop ? [searchDir, NOOP] : [searchDir];
    node.config = { ...node.config, searchPath };
    await writeFile(join(home, "config.json"), `${JSON.stringify({ searchPath }, null, 2)}\n`);
    say(`\nA node in a throwaway home (GUESTOS_HOME=${home}), OS search path ${searchPath.join(":")}`);
    const opts: OpOptions = { onLog: (e: JobLogEntry) => out.push(...formatLogLine(e)) };
    const disk0 = () => queryInstances(node)[0]!.disks[0]!.path;

    say(
      "\n$ guestos instance add -o hello+default -t file --disk 0:size=64M -O greeting=hello web1.example.com",
    );
    await addInstance(
      node,
      {
        name: "web1.example.com",
        os: "hello+default",
        template: "file",
        disks: [{ index: 0, size: 64, adopt: null, mode: "rw", name: null }],
        nics: [AUTO_NIC],
        osparams: { greeting: "hello" },
      },
      opts,
    );
    say(`  disk 0 is ${relative(home, disk0())} in the home, a sparse file`);
    say(`  disk 0 now starts with: ${await firstLine(disk0())}`);

    say(
      "\n$ guestos instance add -o hello+default -t file --disk 0:size=64M -O 'greeting=hi; reboot' bad.example.com",
    );
    try {
      await addInstance(
        node,
        {
          name: "bad.example.com",
          os: "hello+default",
          template: "file",
          disks: [{ index: 0, size: 64, adopt: null, mode: "rw", name: null }],
          nics: [],
          osparams: { greeting: "hi; reboot" },
        },
        opts,
      );
    } catch (err) {
      if (!isGuestosError(err)) throw err;
      say(`Error: ${err.message.trimEnd()}`);
      say("  (rejected by the OS's verify script before any disk was created)");
    }

    say("\n$ guestos instance reinstall -f -O greeting=bonjour web1.example.com");
    await reinstallInstance(node, { name: "web1.example.com", osparams: { greeting: "bonjour" } }, opts);
    say(`  disk 0 now starts with: ${await firstLine(disk0())}`);

    say("\n$ guestos instance rename web1.example.com web2.example.com");
    const renamed = await renameInstance(
      node,
      { name: "web1.example.com", newName: "web2.example.com" },
      opts,
    );
    say(`Instance 'web1.example.com' renamed to '${renamed.result.newName}'`);
    say(`  disk 0 moved to ${relative(home, disk0())}; it now starts with: ${await firstLine(disk0())}`);

    if (withNoop) {
      say(
        "\n$ guestos instance add -o noop --disk 0:size=32M db1.example.com   # Debian's ganeti-os-noop, API 10",
      );
      await addInstance(
        node,
        {
          name: "db1.example.com",
          os: "noop",
          template: "file",
          disks: [{ index: 0, size: 32, adopt: null, mode: "rw", name: null }],
          nics: [AUTO_NIC],
        },
        opts,
      );
    }

    // zstd is a system binary a fresh machine may lack; gzip (node:zlib) is always there.
    const compression = ["/usr/bin/zstd", "/bin/zstd", "/usr/local/bin/zstd"].some((p) => existsSync(p))
      ? "zstd"
      : "gzip";
    say(`\n$ guestos backup export --compress ${compression} web2.example.com`);
    const exported = await exportInstance(node, { name: "web2.example.com", compression }, opts);
    say(`  ${relative(home, exported.result.path)}: config.ini (Ganeti's format) and one dump per disk`);
    for (const d of exported.result.dumps) {
      say(`  disk/${d.index}: ${d.bytes} bytes (${compression}), sha256 ${d.sha256.slice(0, 16)}...`);
    }
    say("\n$ guestos backup import --src web2.example.com web3.example.com");
    await importInstance(node, { src: "web2.example.com", name: "web3.example.com" }, opts);
    const web3 = queryInstances(node, ["web3.example.com"])[0]!.disks[0]!.path;
    say(`  disk 0 of web3 now starts with: ${await firstLine(web3)}`);

    say("\n$ guestos instance list -o name,os,disk_template,disk.sizes,install,status");
    out.push(
      ...renderInstanceList(queryInstances(node), {
        fields: "name,os,disk_template,disk.sizes,install,status",
      }).lines,
    );
    say("\n$ guestos job list");
    out.push(...renderJobList(queryJobs(node), {}).lines);

    for (const v of queryInstances(node)) {
      say(`\n$ guestos instance remove -f ${v.name}`);
      await removeInstance(node, { name: v.name }, opts);
    }
    say(`\nEvery OS script log is under ${osLogDir(home)}; guestos job info ID shows what each job did.`);
  } finally {
    node.close();
  }
  return out;
}
