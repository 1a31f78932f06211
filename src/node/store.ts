import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { GuestosError } from "../errors.js";
import { MIGRATIONS } from "./migrations.js";

/** The store's handle: one better-sqlite3 connection. Synchronous, as better-sqlite3 is. */
export type Db = Database.Database;

/** The store file inside a home. */
export function storePath(home: string): string {
  return join(home, "guestos.db");
}

/** Open (creating it if needed) the home's store: WAL, foreign keys, all migrations applied. */
export function openStore(home: string, opts: { busyTimeoutMs?: number } = {}): Db {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  let db: Db;
  try {
    db = new Database(storePath(home));
  } catch (err) {
    throw storeError("open", err);
  }
  const timeout = opts.busyTimeoutMs ?? 10_000;
  try {
    // Another process may be migrating or writing: wait for it rather than failing at once.
    db.pragma(`busy_timeout = ${timeout}`);
    // Switching a new file to WAL takes an exclusive lock and SQLite does not always call the busy
    // handler for it (two processes creating one store): retry that step by hand.
    retryBusy(timeout, () => db.pragma("journal_mode = WAL"));
    // NORMAL is crash-consistent under WAL; only the last commits can be lost on power failure.
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    retryBusy(timeout, () => migrate(db));
    return db;
  } catch (err) {
    db.close();
    throw storeError("open", err);
  }
}

/** Run `fn`, retrying while SQLite says the database is busy or locked, for up to `ms`. */
function retryBusy<T>(ms: number, fn: () => T): T {
  const deadline = Date.now() + ms;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      if (!/^SQLITE_(BUSY|LOCKED)/.test(code) || Date.now() >= deadline) throw err;
      Atomics.wait(pause, 0, 0, 20);
    }
  }
}

/** Apply the migrations this store lacks, each in its own immediate transaction. */
export function migrate(db: Db): void {
  const version = (): number => db.pragma("user_version", { simple: true }) as number;
  if (version() === MIGRATIONS.length) return;
  for (;;) {
    const done = db
      .transaction(() => {
        const v = version();
        if (v > MIGRATIONS.length) {
          throw new GuestosError(
            "STORE_TOO_NEW",
            `Cannot open the store "${db.name}": it has schema version ${v}, this guestos knows ${MIGRATIONS.length}`,
            { hint: "use the guestos release that wrote it, or a newer one" },
          );
        }
        if (v === MIGRATIONS.length) return true;
        db.exec(MIGRATIONS[v] as string);
        db.pragma(`user_version = ${v + 1}`);
        return false;
      })
      .immediate();
    if (done) return;
  }
}

/** Turn a SQLite failure into a GuestosError with a stable code (full disk, corruption, busy, other). */
export function storeError(action: string, err: unknown): GuestosError {
  if (err instanceof GuestosError) return err;
  const code = (err as { code?: string }).code ?? "";
  const message = err instanceof Error ? err.message : String(err);
  const full: [string, string] = ["STORE_FULL", "the disk holding the guestos home is full"];
  const known: Record<string, [string, string]> = {
    SQLITE_FULL: full,
    // The -shm file could not grow: on a WAL store that is what a full disk looks like.
    SQLITE_IOERR_SHMSIZE: full,
    SQLITE_IOERR: ["STORE_IO", "input/output error"],
    SQLITE_CORRUPT: ["STORE_CORRUPT", "the store file is corrupt"],
    SQLITE_NOTADB: ["STORE_CORRUPT", "the store file is not a SQLite database"],
    SQLITE_BUSY: ["STORE_BUSY", "another process holds the store for too long"],
    SQLITE_READONLY: ["STORE_READONLY", "the store is read-only"],
    SQLITE_CANTOPEN: ["STORE_OPEN", "the store file cannot be opened"],
  };
  const base = known[code] ? code : Object.keys(known).find((k) => code.startsWith(`${k}_`));
  const [gcode, why] = base ? (known[base] as [string, string]) : ["STORE_ERROR", "SQLite error"];
  return new GuestosError(gcode, `Cannot ${action} the store: ${why} (${message})`, { cause: err });
}
