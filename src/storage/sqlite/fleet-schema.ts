/**
 * The fleet's tables (module `fleet`). Keys live in `fleet_agents.api_key` and `fleet_domain_accounts.api_key`
 * and nowhere else in the database. Append-only list: never edit a migration that has shipped, add a new one.
 */
export const FLEET_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE fleet_agents (
    agent_id      TEXT    PRIMARY KEY,
    api_key       TEXT    NOT NULL,
    label         TEXT    NOT NULL,
    source        TEXT    NOT NULL CHECK (source IN ('registered', 'imported')),
    referral_code TEXT,
    created_at    INTEGER NOT NULL,
    paused        INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    pause_reason  TEXT
  ) STRICT;

  CREATE TABLE fleet_domain_accounts (
    account_id TEXT    PRIMARY KEY,
    api_key    TEXT    NOT NULL,
    label      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;

  -- Tightened limits: scope '*' is fleet-wide, otherwise an agent id. Effective = min(config, override).
  CREATE TABLE fleet_limit_overrides (
    scope      TEXT    NOT NULL,
    name       TEXT    NOT NULL CHECK (name IN ('maxBet', 'maxBatch', 'dailyLossLimit', 'fleetDailyLossLimit')),
    value      INTEGER NOT NULL CHECK (value >= 0),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (scope, name)
  ) STRICT;

  -- The fleet-wide kill switch: at most one row.
  CREATE TABLE fleet_pause (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    reason    TEXT    NOT NULL,
    paused_at INTEGER NOT NULL
  ) STRICT;
  `,
  `
  -- Which mode (sandbox | live) created this database: the two must never share a ledger or a fleet.
  CREATE TABLE fleet_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;
  `,
  `
  -- Tightened limits gain the escrow and transfer limits. SQLite cannot alter a CHECK, so the table is rebuilt;
  -- rowids are kept (overrides are listed in rowid order).
  CREATE TABLE fleet_limit_overrides_v2 (
    scope      TEXT    NOT NULL,
    name       TEXT    NOT NULL CHECK (name IN ('maxBet', 'maxBatch', 'dailyLossLimit', 'fleetDailyLossLimit',
                         'maxEscrow', 'dailyEscrow', 'maxTransfer', 'dailyTransfer')),
    value      INTEGER NOT NULL CHECK (value >= 0),
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (scope, name)
  ) STRICT;
  INSERT INTO fleet_limit_overrides_v2 (rowid, scope, name, value, updated_at)
    SELECT rowid, scope, name, value, updated_at FROM fleet_limit_overrides;
  DROP TABLE fleet_limit_overrides;
  ALTER TABLE fleet_limit_overrides_v2 RENAME TO fleet_limit_overrides;

  -- Money set aside against a daily limit while a money job is in flight (src/storage/fleet.ts, Reservation):
  -- live while the job with idempotency key job_key is not final; dropped once it is.
  CREATE TABLE fleet_reservations (
    job_key    TEXT    PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('stake', 'escrow', 'transfer')),
    agent_id   TEXT    NOT NULL,
    amount     INTEGER NOT NULL CHECK (amount > 0),
    created_at INTEGER NOT NULL
  ) STRICT;
  `,
];
