/**
 * The scheduler's tables on PostgreSQL (module `scheduler`), SQLite's current schema in one migration.
 * `schedule_slots` is what makes each slot fire once: its primary key (name, slot) is claimed with
 * INSERT … ON CONFLICT DO NOTHING in the same transaction as the enqueue. `args` is the JSON text as written.
 * Names are COLLATE "C", as in the ledger: byte order, as SQLite sorts text, whatever the database's locale.
 * Append-only list: never edit a migration that has shipped, add a new one.
 */
export const PG_SCHEDULES_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE schedules (
    name             TEXT    COLLATE "C" PRIMARY KEY,
    description      TEXT    NOT NULL,
    task             TEXT    NOT NULL,
    args             TEXT    NOT NULL,
    queue            TEXT    NOT NULL,
    cron             TEXT,
    interval_seconds BIGINT  CHECK (interval_seconds IS NULL OR interval_seconds >= 1),
    timezone         TEXT    NOT NULL DEFAULT 'UTC',
    enabled          BOOLEAN NOT NULL,
    catch_up         TEXT    NOT NULL CHECK (catch_up IN ('skip', 'latest')),
    expiry_seconds   BIGINT  CHECK (expiry_seconds IS NULL OR expiry_seconds >= 1),
    money            BOOLEAN NOT NULL,
    active_since     BIGINT  NOT NULL,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL,
    CHECK ((cron IS NULL) <> (interval_seconds IS NULL))
  );

  CREATE TABLE schedule_slots (
    name     TEXT   COLLATE "C" NOT NULL REFERENCES schedules (name),
    slot     BIGINT NOT NULL,
    job_id   TEXT,
    fired_at BIGINT NOT NULL,
    outcome  TEXT   NOT NULL CHECK (outcome IN ('enqueued', 'skipped', 'expired', 'failed')),
    detail   TEXT,
    PRIMARY KEY (name, slot)
  );

  -- run_schedule_now: outside the slot table, so a manual run never uses up a slot
  CREATE TABLE schedule_manual_runs (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name     TEXT   COLLATE "C" NOT NULL REFERENCES schedules (name),
    job_id   TEXT   NOT NULL,
    fired_at BIGINT NOT NULL
  );
  CREATE INDEX schedule_manual_runs_by_name ON schedule_manual_runs (name, fired_at);
  `,
  // create_schedule / delete_schedule: only `user` schedules may be deleted (built-ins are re-seeded at start)
  `
  ALTER TABLE schedules ADD COLUMN origin TEXT NOT NULL DEFAULT 'builtin' CHECK (origin IN ('builtin', 'user'));
  `,
];
