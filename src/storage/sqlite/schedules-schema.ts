/**
 * The scheduler's tables, module `scheduler`. `schedule_slots` is what makes each slot fire once: its primary key
 * (name, slot) is claimed with INSERT … ON CONFLICT DO NOTHING in the same transaction as the enqueue.
 * Append-only list: never edit a migration that has shipped, add a new one.
 */
export const SCHEDULES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE schedules (
    name             TEXT    PRIMARY KEY,
    description      TEXT    NOT NULL,
    task             TEXT    NOT NULL,
    args             TEXT    NOT NULL,
    queue            TEXT    NOT NULL,
    cron             TEXT,
    interval_seconds INTEGER CHECK (interval_seconds IS NULL OR interval_seconds >= 1),
    timezone         TEXT    NOT NULL DEFAULT 'UTC',
    enabled          INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    catch_up         TEXT    NOT NULL CHECK (catch_up IN ('skip', 'latest')),
    expiry_seconds   INTEGER CHECK (expiry_seconds IS NULL OR expiry_seconds >= 1),
    money            INTEGER NOT NULL CHECK (money IN (0, 1)),
    active_since     INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK ((cron IS NULL) <> (interval_seconds IS NULL))
  ) STRICT;

  CREATE TABLE schedule_slots (
    name     TEXT    NOT NULL REFERENCES schedules (name),
    slot     INTEGER NOT NULL,
    job_id   TEXT,
    fired_at INTEGER NOT NULL,
    outcome  TEXT    NOT NULL CHECK (outcome IN ('enqueued', 'skipped', 'expired', 'failed')),
    detail   TEXT,
    PRIMARY KEY (name, slot)
  ) STRICT, WITHOUT ROWID;

  -- run_schedule_now: outside the slot table, so a manual run never uses up a slot
  CREATE TABLE schedule_manual_runs (
    id       INTEGER PRIMARY KEY,
    name     TEXT    NOT NULL REFERENCES schedules (name),
    job_id   TEXT    NOT NULL,
    fired_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX schedule_manual_runs_by_name ON schedule_manual_runs (name, fired_at);
  `,
  // create_schedule / delete_schedule: only `user` schedules may be deleted (built-ins are re-seeded at start)
  `
  ALTER TABLE schedules ADD COLUMN origin TEXT NOT NULL DEFAULT 'builtin' CHECK (origin IN ('builtin', 'user'));
  `,
];
