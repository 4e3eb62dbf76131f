/**
 * The fleet's tables on PostgreSQL (module `fleet`), SQLite's current schema in one migration. Keys live in
 * `fleet_agents.api_key` and `fleet_domain_accounts.api_key` and nowhere else in the database. Ids are
 * COLLATE "C", as in the ledger: byte order, as SQLite sorts text, whatever the database's locale (and an agent id
 * compares with `bet_day_totals.agent_id`). Append-only list: never edit a migration that has shipped, add a new one.
 */
export const PG_FLEET_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE fleet_agents (
    agent_id      TEXT    COLLATE "C" PRIMARY KEY,
    api_key       TEXT    NOT NULL,
    label         TEXT    NOT NULL,
    source        TEXT    NOT NULL CHECK (source IN ('registered', 'imported')),
    referral_code TEXT,
    created_at    BIGINT  NOT NULL,
    paused        BOOLEAN NOT NULL DEFAULT false,
    pause_reason  TEXT
  );

  CREATE TABLE fleet_domain_accounts (
    account_id TEXT   COLLATE "C" PRIMARY KEY,
    -- insertion order, for ties in created_at (SQLite lists them in rowid order)
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    api_key    TEXT   NOT NULL,
    label      TEXT   NOT NULL,
    created_at BIGINT NOT NULL
  );

  -- Tightened limits: scope '*' is fleet-wide, otherwise an agent id. Effective = min(config, override).
  CREATE TABLE fleet_limit_overrides (
    scope      TEXT   COLLATE "C" NOT NULL,
    name       TEXT   COLLATE "C" NOT NULL
                      CHECK (name IN ('maxBet', 'maxBatch', 'dailyLossLimit', 'fleetDailyLossLimit')),
    -- insertion order, the order SQLite lists overrides in (an update keeps a row's place)
    seq        BIGINT GENERATED ALWAYS AS IDENTITY,
    value      BIGINT NOT NULL CHECK (value >= 0),
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (scope, name)
  );

  -- The fleet-wide kill switch: at most one row.
  CREATE TABLE fleet_pause (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    reason    TEXT    NOT NULL,
    paused_at BIGINT  NOT NULL
  );

  -- Which mode (sandbox | live) created this database: the two must never share a ledger or a fleet.
  CREATE TABLE fleet_meta (
    key   TEXT COLLATE "C" PRIMARY KEY,
    value TEXT NOT NULL
  );
  `,
  `
  -- Tightened limits gain the escrow and transfer limits.
  ALTER TABLE fleet_limit_overrides DROP CONSTRAINT fleet_limit_overrides_name_check;
  ALTER TABLE fleet_limit_overrides ADD CONSTRAINT fleet_limit_overrides_name_check
    CHECK (name IN ('maxBet', 'maxBatch', 'dailyLossLimit', 'fleetDailyLossLimit',
                    'maxEscrow', 'dailyEscrow', 'maxTransfer', 'dailyTransfer'));

  -- Money set aside against a daily limit while a money job is in flight (src/storage/fleet.ts, Reservation):
  -- live while the job with idempotency key job_key is not final; dropped once it is. job_key has the default
  -- collation of jobs.idempotency_key, so the join uses that column's unique index.
  CREATE TABLE fleet_reservations (
    job_key    TEXT   PRIMARY KEY,
    kind       TEXT   NOT NULL CHECK (kind IN ('stake', 'escrow', 'transfer')),
    agent_id   TEXT   COLLATE "C" NOT NULL,
    amount     BIGINT NOT NULL CHECK (amount > 0),
    created_at BIGINT NOT NULL
  );
  `,
];
