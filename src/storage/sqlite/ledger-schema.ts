/**
 * The ledger's tables (migration module `ledger`; moved here unchanged from src/ledger/schema.ts, so databases
 * that applied them keep their versions). STRICT so SQLite itself refuses a float where integer micro-USD belong.
 * Append-only list: never edit a migration that has shipped, add a new one.
 */
export const LEDGER_MIGRATIONS: readonly string[] = [
  `
  -- id is the rowid: it breaks ties between bets placed in the same millisecond (drawdown order).
  CREATE TABLE bets (
    id                INTEGER PRIMARY KEY,
    agent_id          TEXT    NOT NULL,
    client_seed       TEXT    NOT NULL UNIQUE,
    bet_id            TEXT    NOT NULL UNIQUE,
    game              TEXT    NOT NULL,
    params            TEXT    NOT NULL,
    stake             INTEGER NOT NULL CHECK (stake > 0),
    -- the multiplier exactly (×10^4; the engine's multipliers have at most 4 decimals) and as sent
    multiplier_basis  INTEGER NOT NULL CHECK (multiplier_basis > 0),
    payout_multiplier REAL    NOT NULL,
    won               INTEGER NOT NULL CHECK (won IN (0, 1)),
    payout            INTEGER NOT NULL CHECK (payout >= 0 AND (won = 1 OR payout = 0)),
    net               INTEGER GENERATED ALWAYS AS (payout - stake) STORED,
    server_seed_hash  TEXT    NOT NULL,
    nonce             INTEGER NOT NULL,
    result_hash       TEXT    NOT NULL,
    roll              REAL,
    job_id            TEXT,
    placed_at         INTEGER NOT NULL,
    source            TEXT    NOT NULL CHECK (source IN ('response', 'reconciled')),
    recorded_at       INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX bets_by_time ON bets (placed_at, id);
  CREATE INDEX bets_by_agent_time ON bets (agent_id, placed_at);
  CREATE INDEX bets_by_game_time ON bets (game, placed_at);

  CREATE TABLE movements (
    id          INTEGER PRIMARY KEY,
    agent_id    TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('opening_balance', 'escrow_lock', 'escrow_release', 'escrow_refund',
                          'faucet', 'transfer_out', 'transfer_in', 'domain_purchase', 'deposit', 'external')),
    amount      INTEGER NOT NULL,
    reference   TEXT    NOT NULL,
    fee         INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0),
    description TEXT,
    job_id      TEXT,
    at          INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    -- set on rows the ledger refresh imported: which server ledger row, and what it said
    server_entry_id  TEXT,
    server_reference TEXT,
    server_reason    TEXT,
    UNIQUE (agent_id, reference)
  ) STRICT;
  CREATE UNIQUE INDEX movements_by_server_entry ON movements (agent_id, server_entry_id)
    WHERE server_entry_id IS NOT NULL;
  CREATE INDEX movements_by_time ON movements (at, id);
  CREATE INDEX movements_by_agent_time ON movements (agent_id, at);
  CREATE INDEX movements_by_kind_time ON movements (kind, at);

  CREATE TABLE pnl_summaries (
    kind        TEXT    NOT NULL CHECK (kind IN ('daily', 'weekly')),
    period_key  TEXT    NOT NULL,
    from_ms     INTEGER NOT NULL,
    to_ms       INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    computed_at INTEGER NOT NULL,
    PRIMARY KEY (kind, period_key)
  ) STRICT;

  CREATE TABLE balance_snapshots (
    id         INTEGER PRIMARY KEY,
    agent_id   TEXT    NOT NULL,
    at         INTEGER NOT NULL,
    server     INTEGER NOT NULL,
    -- the server's raw float, kept so a report can show exactly what the server said
    server_usd REAL,
    local      INTEGER NOT NULL,
    difference INTEGER GENERATED ALWAYS AS (server - local) STORED,
    UNIQUE (agent_id, at)
  ) STRICT;
  CREATE INDEX balance_snapshots_by_time ON balance_snapshots (at);
  `,
  `
  -- Realised PnL per UTC day (of placed_at) and agent, so a risk check reads a few rows instead of summing the
  -- day's bets. Triggers keep it in the statement that writes the bet, hence in the writer's transaction,
  -- whoever writes; the INSERT below backfills the bets recorded before this table existed.
  -- placed_at is ms since the epoch, never negative (recordBet checks), so placed_at % DAY is its time of day.
  CREATE TABLE bet_day_totals (
    day_start INTEGER NOT NULL,
    agent_id  TEXT    NOT NULL,
    net       INTEGER NOT NULL,
    bets      INTEGER NOT NULL,
    PRIMARY KEY (day_start, agent_id)
  ) STRICT, WITHOUT ROWID;

  CREATE TRIGGER bets_day_totals_insert AFTER INSERT ON bets BEGIN
    INSERT INTO bet_day_totals (day_start, agent_id, net, bets)
      VALUES (NEW.placed_at - NEW.placed_at % 86400000, NEW.agent_id, NEW.payout - NEW.stake, 1)
      ON CONFLICT (day_start, agent_id) DO UPDATE SET net = net + excluded.net, bets = bets + 1;
  END;

  CREATE TRIGGER bets_day_totals_delete AFTER DELETE ON bets BEGIN
    UPDATE bet_day_totals SET net = net - (OLD.payout - OLD.stake), bets = bets - 1
      WHERE day_start = OLD.placed_at - OLD.placed_at % 86400000 AND agent_id = OLD.agent_id;
  END;

  CREATE TRIGGER bets_day_totals_update AFTER UPDATE OF agent_id, stake, payout, placed_at ON bets BEGIN
    UPDATE bet_day_totals SET net = net - (OLD.payout - OLD.stake), bets = bets - 1
      WHERE day_start = OLD.placed_at - OLD.placed_at % 86400000 AND agent_id = OLD.agent_id;
    INSERT INTO bet_day_totals (day_start, agent_id, net, bets)
      VALUES (NEW.placed_at - NEW.placed_at % 86400000, NEW.agent_id, NEW.payout - NEW.stake, 1)
      ON CONFLICT (day_start, agent_id) DO UPDATE SET net = net + excluded.net, bets = bets + 1;
  END;

  INSERT INTO bet_day_totals (day_start, agent_id, net, bets)
    SELECT placed_at - placed_at % 86400000, agent_id, SUM(payout - stake), COUNT(*) FROM bets GROUP BY 1, 2;
  `,
  `
  -- The bets a job placed: a chord summary counts those of a member that ended without a result.
  CREATE INDEX bets_by_job ON bets (job_id) WHERE job_id IS NOT NULL;
  `,
  `
  -- Every server ledger row pf-fleet has seen (GET /auth/ledger shows only the newest 50): reconciliation and
  -- the ledger's completeness read this mirror, not only the live window (src/ledger/server-mirror.ts).
  CREATE TABLE server_ledger_rows (
    agent_id      TEXT    NOT NULL,
    entry_id      TEXT    NOT NULL,
    seq           INTEGER NOT NULL,
    type          TEXT    NOT NULL,
    amount        INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    reason        TEXT    NOT NULL,
    reference     TEXT,
    service       TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    gap_before    INTEGER,
    behind_head   INTEGER NOT NULL CHECK (behind_head IN (0, 1)),
    seen_at       INTEGER NOT NULL,
    PRIMARY KEY (agent_id, entry_id),
    UNIQUE (agent_id, seq)
  ) STRICT;
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
