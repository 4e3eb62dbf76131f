/** The tasks' memory (src/storage/task-memory.ts), module `tasks`. Append-only: never edit a shipped migration. */
export const TASK_MEMORY_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE task_batch_submissions (
    job_id     TEXT    PRIMARY KEY,
    chord_id   TEXT    NOT NULL,
    created_at INTEGER NOT NULL
  ) STRICT;

  -- outcome: claimed (by pf-fleet), already_claimed (before or elsewhere), has_deposits (never eligible)
  CREATE TABLE task_faucet_claims (
    agent_id   TEXT    PRIMARY KEY,
    outcome    TEXT    NOT NULL CHECK (outcome IN ('claimed', 'already_claimed', 'has_deposits')),
    claim_id   TEXT,
    at         INTEGER NOT NULL
  ) STRICT;

  -- A seed is public once the casino reveals it; kept so bets can be re-verified later.
  CREATE TABLE task_revealed_seeds (
    seed_hash   TEXT    PRIMARY KEY,
    agent_id    TEXT    NOT NULL,
    server_seed TEXT    NOT NULL,
    revealed_at INTEGER NOT NULL
  ) STRICT;
  `,
];
