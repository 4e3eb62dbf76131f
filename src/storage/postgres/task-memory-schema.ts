/**
 * The tasks' memory (src/storage/task-memory.ts) on PostgreSQL, module `tasks`: SQLite's current schema in one
 * migration. Keys are COLLATE "C", as in the ledger (byte order, cheap unique checks). Append-only: never edit a
 * shipped migration.
 */
export const PG_TASK_MEMORY_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE task_batch_submissions (
    job_id     TEXT   COLLATE "C" PRIMARY KEY,
    chord_id   TEXT   NOT NULL,
    created_at BIGINT NOT NULL
  );

  -- outcome: claimed (by pf-fleet), already_claimed (before or elsewhere), has_deposits (never eligible)
  CREATE TABLE task_faucet_claims (
    agent_id   TEXT   COLLATE "C" PRIMARY KEY,
    outcome    TEXT   NOT NULL CHECK (outcome IN ('claimed', 'already_claimed', 'has_deposits')),
    claim_id   TEXT,
    at         BIGINT NOT NULL
  );

  -- A seed is public once the casino reveals it; kept so bets can be re-verified later.
  CREATE TABLE task_revealed_seeds (
    seed_hash   TEXT   COLLATE "C" PRIMARY KEY,
    -- insertion order, for ties in revealed_at (SQLite lists them in rowid order)
    seq         BIGINT GENERATED ALWAYS AS IDENTITY,
    agent_id    TEXT   COLLATE "C" NOT NULL,
    server_seed TEXT   NOT NULL,
    revealed_at BIGINT NOT NULL
  );
  CREATE INDEX task_revealed_seeds_by_agent ON task_revealed_seeds (agent_id, revealed_at, seq);
  `,
];
