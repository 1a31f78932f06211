import { execFile } from "node:child_process";
import { constants, type BigIntStats } from "node:fs";
import { open, readFile, readdir, realpath, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { promisify } from "node:util";
import { GuestosError } from "../errors.js";
import { loopsBackedBy } from "./loop.js";
import { parseMountinfo, parseSwaps } from "./mountinfo.js";
import { codeOf, reasonOf } from "./reason.js";

const run = promisify(execFile);

/** What adoption needs to know about a block device. */
export interface BlockdevInfo {
  /** The path as given, made absolute (symlinks kept, as Ganeti's os.path.abspath). */
  path: string;
  /** The device node it leads to. */
  realPath: string;
  sizeBytes: number;
}

/** A block device or one of its partitions, as sysfs names it. */
export interface DeviceNode {
  /** Kernel name: `sda1`, `loop0p1`. */
  name: string;
  /** `major:minor`. */
  dev: string;
  partition: boolean;
}

function isUnderDev(path: string): boolean {
  return path.startsWith("/dev/") && path.length > "/dev/".length;
}

function kindOf(st: BigIntStats): string {
  if (st.isFile()) return "a regular file";
  if (st.isDirectory()) return "a directory";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isFIFO()) return "a FIFO";
  if (st.isSocket()) return "a socket";
  return "not a device";
}

/** glibc's major()/minor() of a dev_t. */
function majorMinor(rdev: bigint): string {
  const major = ((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn);
  const minor = (rdev & 0xffn) | ((rdev >> 12n) & ~0xffn);
  return `${major}:${minor}`;
}

/**
 * Why the device or one of its partitions is in use, from the mount table and the swap list; null when
 * neither mentions them. Mounts are matched by device number and by `/dev/<name>` (btrfs reports an
 * anonymous device number).
 */
export function useReason(nodes: DeviceNode[], mountinfo: string, swaps: string): string | null {
  const who = (node: DeviceNode): string => (node.partition ? `its partition /dev/${node.name} is` : "it is");
  const mounts = parseMountinfo(mountinfo);
  const swapFiles = new Set(parseSwaps(swaps));
  for (const node of nodes) {
    const mount = mounts.find((m) => m.dev === node.dev || m.source === `/dev/${node.name}`);
    if (mount) return `${who(node)} mounted on "${mount.mountPoint}"`;
    if (swapFiles.has(`/dev/${node.name}`)) return `${who(node)} in use as swap`;
  }
  return null;
}

async function readText(path: string): Promise<string> {
  return readFile(path, "utf8").catch(() => "");
}

/** The device and its partitions, from /sys/dev/block/<major:minor>. */
async function deviceNodes(sysDir: string, dev: string): Promise<DeviceNode[]> {
  const nodes: DeviceNode[] = [{ name: basename(await realpath(sysDir)), dev, partition: false }];
  for (const entry of await readdir(sysDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const partDev = (await readText(join(sysDir, entry.name, "dev"))).trim();
    const isPartition = await stat(join(sysDir, entry.name, "partition")).then(
      () => true,
      () => false,
    );
    if (isPartition && partDev) nodes.push({ name: entry.name, dev: partDev, partition: true });
  }
  return nodes;
}

/** Device-mapper, md and bcache users show up as holders in sysfs. */
async function holderReason(sysDir: string, nodes: DeviceNode[]): Promise<string | null> {
  for (const node of nodes) {
    const dir = node.partition ? join(sysDir, node.name, "holders") : join(sysDir, "holders");
    const holders = await readdir(dir).catch(() => []);
    if (holders.length > 0) {
      return `${node.partition ? `its partition /dev/${node.name} is` : "it is"} held by ${holders.sort().join(", ")}`;
    }
  }
  return null;
}

async function sizeOf(sysDir: string, device: string): Promise<bigint> {
  const sectors = (await readText(join(sysDir, "size"))).trim();
  // sysfs counts 512-byte sectors whatever the device's logical block size.
  if (/^\d+$/.test(sectors)) return BigInt(sectors) * 512n;
  const { stdout } = await run("blockdev", ["--getsize64", device]);
  return BigInt(stdout.trim());
}

/**
 * Check that `path` is a block device guestos may adopt: under /dev, existing, a block device, not
 * mounted, swapped on, held or looped (nor any partition of it), not open exclusively, not empty.
 */
export async function probeBlockdev(path: string): Promise<BlockdevInfo> {
  const fail = (code: string, reason: string, cause?: unknown): GuestosError =>
    new GuestosError(code, `Cannot adopt "${path}": ${reason}`, { cause });
  const abs = path.includes("\0") ? "" : resolve(path);
  if (!isUnderDev(abs)) throw fail("ADOPT_PATH", "only block devices under /dev can be adopted");

  let st: BigIntStats;
  let realPath: string;
  try {
    st = await stat(abs, { bigint: true });
    realPath = await realpath(abs);
  } catch (err) {
    const code = codeOf(err);
    if (code === "ENOENT" || code === "ENOTDIR") throw fail("ADOPT_MISSING", "it does not exist", err);
    throw fail("ADOPT_PROBE", reasonOf(err), err);
  }
  if (!isUnderDev(realPath)) throw fail("ADOPT_PATH", `it leads to "${realPath}", outside /dev`);
  if (!st.isBlockDevice()) throw fail("ADOPT_NOT_BLOCKDEV", `it is not a block device (it is ${kindOf(st)})`);

  const dev = majorMinor(st.rdev);
  const sysDir = `/sys/dev/block/${dev}`;
  let nodes: DeviceNode[];
  try {
    nodes = await deviceNodes(sysDir, dev);
  } catch (err) {
    if (codeOf(err) === "ENOENT") throw fail("ADOPT_MISSING", `no device is behind it (${dev})`, err);
    throw fail("ADOPT_PROBE", reasonOf(err), err);
  }

  const [mountinfo, swaps] = await Promise.all([readText("/proc/self/mountinfo"), readText("/proc/swaps")]);
  const inUse = useReason(nodes, mountinfo, swaps) ?? (await holderReason(sysDir, nodes));
  if (inUse) throw fail("ADOPT_IN_USE", inUse);
  const loops = await loopsBackedBy(realPath);
  if (loops.length > 0) throw fail("ADOPT_IN_USE", `it backs loop device ${loops.join(", ")}`);
  try {
    // The kernel refuses an O_EXCL open of a block device someone has claimed, in any mount namespace.
    await (await open(realPath, constants.O_RDONLY | constants.O_EXCL)).close();
  } catch (err) {
    if (codeOf(err) === "EBUSY") {
      throw fail("ADOPT_IN_USE", "it is in use (another program holds it open exclusively)", err);
    }
    throw fail("ADOPT_PROBE", `cannot open it: ${reasonOf(err)}`, err);
  }

  let size: bigint;
  try {
    size = await sizeOf(sysDir, realPath);
  } catch (err) {
    throw fail("ADOPT_PROBE", `cannot read its size: ${reasonOf(err)}`, err);
  }
  if (size === 0n) throw fail("ADOPT_EMPTY", "the device is empty (0 bytes)");
  if (size > BigInt(Number.MAX_SAFE_INTEGER))
    throw fail("ADOPT_PROBE", `its size ${size} bytes is too large`);
  return { path: abs, realPath, sizeBytes: Number(size) };
}
