/**
 * The ledger's tables on PostgreSQL (migration module `ledger`): SQLite's three migrations as one, the current
 * schema. Money is BIGINT micro-USD, times BIGINT ms since the epoch, JSON kept as the exact TEXT written.
 * Text that is sorted or keyed (agents, games, seeds, references) is COLLATE "C": byte order, as SQLite sorts
 * text, whatever the database's locale, and cheaper to compare in the unique indexes every insert checks.
 * Append-only list: never edit a migration that has shipped, add a new one.
 */
export const PG_LEDGER_MIGRATIONS: readonly string[] = [
  `
  -- id breaks ties between bets placed in the same millisecond (drawdown order): identity values follow the
  -- order rows are inserted in.
  CREATE TABLE bets (
    id                BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id          TEXT    COLLATE "C" NOT NULL,
    client_seed       TEXT    COLLATE "C" NOT NULL UNIQUE,
    bet_id            TEXT    COLLATE "C" NOT NULL UNIQUE,
    game              TEXT    COLLATE "C" NOT NULL,
    params            TEXT    NOT NULL,
    stake             BIGINT  NOT NULL CHECK (stake > 0),
    -- the multiplier exactly (×10^4; the engine's multipliers have at most 4 decimals) and as sent
    multiplier_basis  BIGINT  NOT NULL CHECK (multiplier_basis > 0),
    payout_multiplier DOUBLE PRECISION NOT NULL,
    won               BOOLEAN NOT NULL,
    payout            BIGINT  NOT NULL CHECK (payout >= 0 AND (won OR payout = 0)),
    net               BIGINT  GENERATED ALWAYS AS (payout - stake) STORED,
    server_seed_hash  TEXT    NOT NULL,
    nonce             BIGINT  NOT NULL,
    result_hash       TEXT    NOT NULL,
    roll              DOUBLE PRECISION,
    job_id            TEXT    COLLATE "C",
    placed_at         BIGINT  NOT NULL,
    source            TEXT    NOT NULL CHECK (source IN ('response', 'reconciled')),
    recorded_at       BIGINT  NOT NULL
  );
  CREATE INDEX bets_by_time ON bets (placed_at, id);
  CREATE INDEX bets_by_agent_time ON bets (agent_id, placed_at);
  CREATE INDEX bets_by_game_time ON bets (game, placed_at);
  -- The bets a job placed: a chord summary counts those of a member that ended without a result.
  CREATE INDEX bets_by_job ON bets (job_id) WHERE job_id IS NOT NULL;

  CREATE TABLE movements (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id    TEXT   COLLATE "C" NOT NULL,
    kind        TEXT   NOT NULL CHECK (kind IN ('opening_balance', 'escrow_lock', 'escrow_release', 'escrow_refund',
                         'faucet', 'transfer_out', 'transfer_in', 'domain_purchase', 'deposit', 'external')),
    amount      BIGINT NOT NULL,
    reference   TEXT   COLLATE "C" NOT NULL,
    fee         BIGINT NOT NULL DEFAULT 0 CHECK (fee >= 0),
    description TEXT,
    job_id      TEXT,
    at          BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    -- set on rows the ledger refresh imported: which server ledger row, and what it said
    server_entry_id  TEXT COLLATE "C",
    server_reference TEXT,
    server_reason    TEXT,
    UNIQUE (agent_id, reference)
  );
  CREATE UNIQUE INDEX movements_by_server_entry ON movements (agent_id, server_entry_id)
    WHERE server_entry_id IS NOT NULL;
  CREATE INDEX movements_by_time ON movements (at, id);
  CREATE INDEX movements_by_agent_time ON movements (agent_id, at, id);
  CREATE INDEX movements_by_kind_time ON movements (kind, at);

  CREATE TABLE pnl_summaries (
    kind        TEXT   NOT NULL CHECK (kind IN ('daily', 'weekly')),
    period_key  TEXT   COLLATE "C" NOT NULL,
    from_ms     BIGINT NOT NULL,
    to_ms       BIGINT NOT NULL,
    body        TEXT   NOT NULL,
    computed_at BIGINT NOT NULL,
    PRIMARY KEY (kind, period_key)
  );

  CREATE TABLE balance_snapshots (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id   TEXT   COLLATE "C" NOT NULL,
    at         BIGINT NOT NULL,
    server     BIGINT NOT NULL,
    -- the server's raw float, kept so a report can show exactly what the server said
    server_usd DOUBLE PRECISION,
    local      BIGINT NOT NULL,
    difference BIGINT GENERATED ALWAYS AS (server - local) STORED,
    UNIQUE (agent_id, at)
  );
  CREATE INDEX balance_snapshots_by_time ON balance_snapshots (at, id);

  -- Realised PnL per UTC day (of placed_at) and agent, so a risk check reads a few rows instead of summing the
  -- day's bets. Triggers keep it in the statement that writes the bets, hence in the writer's transaction,
  -- whoever writes. placed_at is ms since the epoch, never negative (recordBet checks), so placed_at % DAY is
  -- its time of day.
  CREATE TABLE bet_day_totals (
    day_start BIGINT NOT NULL,
    agent_id  TEXT   COLLATE "C" NOT NULL,
    net       BIGINT NOT NULL,
    bets      BIGINT NOT NULL,
    PRIMARY KEY (day_start, agent_id)
  );

  -- Per statement, over its transition tables: a multi-row insert moves each (day, agent) row once, and in key
  -- order, so concurrent batches lock the totals rows they share in one order. An update is its old rows taken
  -- out and its new ones put in (PostgreSQL allows no column list beside transition tables; an update that
  -- leaves agent, stake, payout and time alone takes out and puts back the same amounts).
  CREATE FUNCTION bets_day_totals() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
      UPDATE bet_day_totals t SET net = t.net - o.net, bets = t.bets - o.bets
        FROM (SELECT placed_at - placed_at % 86400000 AS day_start, agent_id, SUM(payout - stake) AS net,
                     COUNT(*) AS bets
              FROM old_rows GROUP BY 1, 2) o
        WHERE t.day_start = o.day_start AND t.agent_id = o.agent_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
      INSERT INTO bet_day_totals AS t (day_start, agent_id, net, bets)
        SELECT placed_at - placed_at % 86400000, agent_id, SUM(payout - stake), COUNT(*)
        FROM new_rows GROUP BY 1, 2 ORDER BY 1, 2
        ON CONFLICT (day_start, agent_id) DO UPDATE SET net = t.net + excluded.net, bets = t.bets + excluded.bets;
    END IF;
    RETURN NULL;
  END
  $$;

  CREATE TRIGGER bets_day_totals_insert AFTER INSERT ON bets
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bets_day_totals();
  CREATE TRIGGER bets_day_totals_delete AFTER DELETE ON bets
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bets_day_totals();
  CREATE TRIGGER bets_day_totals_update AFTER UPDATE ON bets
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bets_day_totals();
  `,
  `
  -- Every server ledger row pf-fleet has seen (SQLite's fourth ledger migration).
  CREATE TABLE server_ledger_rows (
    agent_id      TEXT    COLLATE "C" NOT NULL,
    entry_id      TEXT    COLLATE "C" NOT NULL,
    seq           BIGINT  NOT NULL,
    type          TEXT    NOT NULL,
    amount        BIGINT  NOT NULL,
    balance_after BIGINT  NOT NULL,
    reason        TEXT    NOT NULL,
    reference     TEXT    COLLATE "C",
    service       TEXT    NOT NULL,
    at            BIGINT  NOT NULL,
    gap_before    BIGINT,
    behind_head   BOOLEAN NOT NULL,
    seen_at       BIGINT  NOT NULL,
    PRIMARY KEY (agent_id, entry_id),
    UNIQUE (agent_id, seq)
  );
  CREATE INDEX server_ledger_rows_by_reference ON server_ledger_rows (agent_id, reference) WHERE reference IS NOT NULL;
  `,
  `
  -- The mirror by server time: reconciliation reads an agent's rows since a job began, and the retention's prune
  -- finds each agent's newest rows (src/ledger/mirror-retention.ts).
  CREATE INDEX server_ledger_rows_by_time ON server_ledger_rows (agent_id, at);
  `,
  `
  -- Bets by game were already served in time order by bets_by_time (a game filter only skips rows), and every bet
  -- paid for this index on the engine's hottest write: one more B-tree insert and ~2 of a commit's ~60 WAL pages.
  DROP INDEX IF EXISTS bets_by_game_time;
  `,
];
