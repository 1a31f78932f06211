import { closeSync, openSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import { isGuestosError } from "../errors.js";

/**
 * A few MiB the node keeps in its home for the day the disk fills up. SQLite needs room to record even a
 * failure (its WAL and -shm files grow), so a full disk would otherwise leave a job pending that every
 * later command, `instance remove` included, must write to finish: the node would be stuck until
 * someone freed space by hand. When a store write fails for lack of space, the reserve is given back and
 * the write retried once; it is made again at a later start, when there is room.
 */
const RESERVE = ".space-reserve";
const SIZE = 2 * 1024 * 1024;

/**
 * Make the reserve if it is missing and there is room for it; never fails. Returns false when the home
 * has no reserve afterwards: the disk is (nearly) full.
 */
export function ensureReserve(home: string): boolean {
  const path = join(home, RESERVE);
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o600);
  } catch (err) {
    // There already (the usual case), or the home is not writable (then there is nothing to protect).
    return (
      (err as NodeJS.ErrnoException).code === "EEXIST" || (err as NodeJS.ErrnoException).code !== "ENOSPC"
    );
  }
  try {
    // Real blocks, not a hole: a sparse file would free nothing.
    const chunk = Buffer.alloc(1024 * 1024);
    for (let done = 0; done < SIZE; done += chunk.length) writeSync(fd, chunk);
    closeSync(fd);
    return true;
  } catch {
    closeSync(fd);
    try {
      unlinkSync(path);
    } catch {
      // best effort
    }
    return false;
  }
}

/** Give the reserve back to the filesystem; true when there was one to give. */
export function releaseReserve(home: string): boolean {
  try {
    unlinkSync(join(home, RESERVE));
    return true;
  } catch {
    return false;
  }
}

/** True for the store's "disk full" errors, wrapped (STORE_FULL) or as SQLite raised them. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return isGuestosError(err, "STORE_FULL") || code === "SQLITE_FULL" || code === "SQLITE_IOERR_SHMSIZE";
}

/** Run `fn`; if it fails because the disk is full and the reserve can be released, run it once more. */
export function withReserve<T>(home: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (!isDiskFull(err) || !releaseReserve(home)) throw err;
    return fn();
  }
}

/** withReserve for asynchronous work. */
export async function withReserveAsync<T>(home: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isDiskFull(err) || !releaseReserve(home)) throw err;
    return fn();
  }
}
