// The text files of an OS definition (ganeti_api_version, variants.list, parameters.list) remembered by path and
// stat signature, so a repeated scan (an API server listing the catalog) skips their open/read/close: a third
// of a scan's system calls. The stat itself is always done, as Ganeti does it, and decides.
//
// Correctness rests on ctime: every change of content or inode sets it to the current time and it cannot be set
// back without changing the system clock. A file is only remembered once its ctime is SETTLE_MS in the past, so
// a later change falls on a later clock tick (1-10 ms on Linux) and changes the signature (git's "racy index"
// rule). Limit: on a network filesystem whose server clock lags ours by more than SETTLE_MS, two same-size
// rewrites within one server tick, with a scan in between, would go unnoticed until the next change.
import type { Stats } from "node:fs";

const SETTLE_MS = 100;
const MAX_ENTRIES = 20_000;
const MAX_BYTES = 64 * 1024;

interface Entry {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  text: string;
}

const cache = new Map<string, Entry>();

/** The remembered text of `path` if `st` (a fresh stat of it) still matches, else undefined. */
export function cachedText(path: string, st: Stats): string | undefined {
  const e = cache.get(path);
  if (e === undefined) return undefined;
  if (
    e.ino === st.ino &&
    e.dev === st.dev &&
    e.size === st.size &&
    e.mtimeMs === st.mtimeMs &&
    e.ctimeMs === st.ctimeMs
  ) {
    return e.text;
  }
  cache.delete(path);
  return undefined;
}

/** Remember `text`, read from `path` after the stat `st`, if the file has settled. */
export function rememberText(path: string, st: Stats, text: string, now = Date.now()): void {
  if (st.size > MAX_BYTES || st.ctimeMs > now - SETTLE_MS || st.mtimeMs > now) return;
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(path, {
    dev: st.dev,
    ino: st.ino,
    size: st.size,
    mtimeMs: st.mtimeMs,
    ctimeMs: st.ctimeMs,
    text,
  });
}

/** Forget everything (tests). */
export function clearTextCache(): void {
  cache.clear();
}
