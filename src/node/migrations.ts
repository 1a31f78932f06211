/**
 * The store's schema, as an ordered list of migrations. A migration is never edited once released: a
 * change is a new entry. `PRAGMA user_version` records how many have been applied.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE instances (
    uuid          TEXT PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    os            TEXT NOT NULL,
    hypervisor    TEXT NOT NULL,
    disk_template TEXT NOT NULL CHECK (disk_template IN ('file', 'blockdev', 'diskless')),
    admin_state   TEXT NOT NULL DEFAULT 'down' CHECK (admin_state IN ('up', 'down', 'offline')),
    install_state TEXT NOT NULL CHECK (install_state IN ('installed', 'pending', 'failed', 'skipped')),
    last_error    TEXT,
    ctime         REAL NOT NULL,
    mtime         REAL NOT NULL,
    serial_no     INTEGER NOT NULL DEFAULT 1,
    hvparams      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(hvparams)),
    beparams      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(beparams)),
    osparams      TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(osparams))
  ) STRICT;

  -- Private OS parameter values live apart from the instance row, so no listing query can reach them.
  CREATE TABLE instance_private_params (
    instance_uuid TEXT NOT NULL REFERENCES instances (uuid) ON DELETE CASCADE ON UPDATE CASCADE,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (instance_uuid, key)
  ) STRICT;

  CREATE TABLE instance_tags (
    instance_uuid TEXT NOT NULL REFERENCES instances (uuid) ON DELETE CASCADE ON UPDATE CASCADE,
    tag           TEXT NOT NULL,
    PRIMARY KEY (instance_uuid, tag)
  ) STRICT;

  CREATE TABLE disks (
    uuid          TEXT PRIMARY KEY,
    instance_uuid TEXT NOT NULL REFERENCES instances (uuid) ON DELETE CASCADE ON UPDATE CASCADE,
    idx           INTEGER NOT NULL CHECK (idx >= 0 AND idx < 16),
    size          INTEGER NOT NULL CHECK (size >= 0),
    mode          TEXT NOT NULL CHECK (mode IN ('rw', 'ro')),
    name          TEXT,
    path          TEXT NOT NULL,
    adopted       INTEGER NOT NULL CHECK (adopted IN (0, 1)),
    UNIQUE (instance_uuid, idx),
    UNIQUE (instance_uuid, name)
  ) STRICT;
  -- One device or image file belongs to one disk of one instance.
  CREATE UNIQUE INDEX disks_path ON disks (path);

  CREATE TABLE nics (
    uuid          TEXT PRIMARY KEY,
    instance_uuid TEXT NOT NULL REFERENCES instances (uuid) ON DELETE CASCADE ON UPDATE CASCADE,
    idx           INTEGER NOT NULL CHECK (idx >= 0 AND idx < 8),
    mac           TEXT NOT NULL UNIQUE,
    ip            TEXT,
    mode          TEXT,
    link          TEXT,
    vlan          TEXT,
    name          TEXT,
    network       TEXT,
    UNIQUE (instance_uuid, idx),
    UNIQUE (instance_uuid, name)
  ) STRICT;

  -- gnt-os modify --os-parameters-private: per-OS private defaults, kept out of the config file.
  CREATE TABLE os_private_params (
    os    TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (os, key)
  ) STRICT;

  CREATE TABLE jobs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    op          TEXT NOT NULL,
    target      TEXT,
    status      TEXT NOT NULL
                CHECK (status IN ('queued', 'waiting', 'running', 'canceled', 'success', 'error')),
    priority    INTEGER NOT NULL DEFAULT 0,
    received_ts REAL NOT NULL,
    start_ts    REAL,
    end_ts      REAL,
    input       TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(input)),
    result      TEXT CHECK (result IS NULL OR json_valid(result)),
    error       TEXT CHECK (error IS NULL OR json_valid(error)),
    log_files   TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(log_files)),
    pid         INTEGER,
    pid_start   TEXT
  ) STRICT;
  CREATE INDEX jobs_pending ON jobs (status) WHERE status IN ('queued', 'waiting', 'running');

  CREATE TABLE job_log (
    job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq    INTEGER NOT NULL,
    ts     REAL NOT NULL,
    kind   TEXT NOT NULL CHECK (kind IN ('message', 'info', 'warning', 'step')),
    text   TEXT NOT NULL,
    hint   TEXT,
    PRIMARY KEY (job_id, seq)
  ) STRICT;

  -- What a job leaves behind if its process dies: recovery cleans these at the next start.
  CREATE TABLE job_resources (
    job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    kind   TEXT NOT NULL CHECK (kind IN ('tempfile', 'tempdir', 'loopfile', 'pgid')),
    value  TEXT NOT NULL,
    PRIMARY KEY (job_id, kind, value)
  ) STRICT;

  -- One job at a time per lock name (instance:<name>, config), across processes.
  CREATE TABLE locks (
    name        TEXT PRIMARY KEY,
    job_id      INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    acquired_ts REAL NOT NULL
  ) STRICT;
  `,
];
