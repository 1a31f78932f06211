import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { basename } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { GuestosError } from "../errors.js";

const run = promisify(execFile);
const DETACH_WAIT_MS = 5000;

/** Attach `file` to a free loop device (optionally a byte range of it); returns the device path. */
export async function attachLoop(
  file: string,
  opts: { offset?: number; sizeLimit?: number; readOnly?: boolean } = {},
): Promise<string> {
  const args = ["--show", "-f"];
  if (opts.offset !== undefined) args.push("-o", String(opts.offset));
  if (opts.sizeLimit !== undefined) args.push("--sizelimit", String(opts.sizeLimit));
  if (opts.readOnly) args.push("-r");
  try {
    const { stdout } = await run("losetup", [...args, file]);
    return stdout.trim();
  } catch (err) {
    throw new GuestosError("LOOP_ATTACH", `Cannot attach "${file}" to a loop device: ${stderrOf(err)}`, {
      cause: err,
    });
  }
}

/**
 * Detach a loop device; a device that is already gone is not an error. The kernel only marks a device
 * that something still holds open (udev's probe of a fresh device, a dying script) for auto-clear, so
 * this waits, up to a few seconds, until the device has really let go of its file.
 */
export async function detachLoop(device: string): Promise<void> {
  try {
    await run("losetup", ["-d", device]);
  } catch (err) {
    const text = stderrOf(err);
    if (/No such device or address|No such file/.test(text)) return;
    throw new GuestosError("LOOP_DETACH", `Cannot detach loop device "${device}": ${text}`, { cause: err });
  }
  const backing = `/sys/block/${basename(device)}/loop/backing_file`;
  for (let waited = 0; existsSync(backing) && waited < DETACH_WAIT_MS; waited += 10) await sleep(10);
}

/** Run `fn` with `file` attached to a loop device, detaching it afterwards whatever happens. */
export async function withLoop<T>(file: string, fn: (device: string) => Promise<T>): Promise<T> {
  const device = await attachLoop(file);
  try {
    return await fn(device);
  } finally {
    await detachLoop(device);
  }
}

function stderrOf(err: unknown): string {
  const e = err as { stderr?: string; message?: string };
  return (e.stderr || e.message || String(err)).trim();
}

/** The loop devices whose backing file is `file` (`losetup -j`); empty when there are none. */
export async function loopsBackedBy(file: string): Promise<string[]> {
  try {
    const { stdout } = await run("losetup", ["-j", file, "-O", "NAME", "-n"]);
    return stdout
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
  } catch (err) {
    throw new GuestosError("LOOP_LIST", `Cannot list the loop devices of "${file}": ${stderrOf(err)}`, {
      cause: err,
    });
  }
}

/** Detach every loop device backed by `file` (what a killed script left behind); returns the devices. */
export async function detachLoopsBackedBy(file: string): Promise<string[]> {
  const devices = await loopsBackedBy(file);
  for (const device of devices) await detachLoop(device);
  return devices;
}
