import { type Db, migrate } from "../../db.js";

/**
 * The little the tasks must remember beyond job rows (which are pruned) and the ledger (which holds money
 * only): which chord a batch job submitted, which agents have used their one faucet claim, and the server
 * seeds the casino has revealed. Append-only migrations, module `tasks`.
 */
const MIGRATIONS: readonly string[] = [
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

export function migrateTaskStore(db: Db): void {
  migrate(db, "tasks", MIGRATIONS);
}

export function submittedChord(db: Db, jobId: string): string | undefined {
  const row = db.prepare("SELECT chord_id FROM task_batch_submissions WHERE job_id = ?").get(jobId) as
    | { chord_id: string }
    | undefined;
  return row?.chord_id;
}

export function rememberSubmission(db: Db, jobId: string, chordId: string, at: number): void {
  db.prepare("INSERT INTO task_batch_submissions (job_id, chord_id, created_at) VALUES (?, ?, ?)").run(
    jobId,
    chordId,
    at,
  );
}

export type FaucetOutcome = "claimed" | "already_claimed" | "has_deposits";

export interface FaucetMemory {
  agentId: string;
  outcome: FaucetOutcome;
  claimId: string | null;
  at: number;
}

export function faucetMemory(db: Db, agentId: string): FaucetMemory | undefined {
  const row = db
    .prepare("SELECT agent_id, outcome, claim_id, at FROM task_faucet_claims WHERE agent_id = ?")
    .get(agentId) as { agent_id: string; outcome: FaucetOutcome; claim_id: string | null; at: number } | undefined;
  return row && { agentId: row.agent_id, outcome: row.outcome, claimId: row.claim_id, at: row.at };
}

/** The first answer wins: an agent that claimed stays "claimed" whatever a later attempt hears. */
export function rememberFaucet(db: Db, m: FaucetMemory): void {
  db.prepare(
    "INSERT INTO task_faucet_claims (agent_id, outcome, claim_id, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
  ).run(m.agentId, m.outcome, m.claimId, m.at);
}

export function rememberRevealedSeed(db: Db, s: { agentId: string; seedHash: string; seed: string; at: number }): void {
  db.prepare(
    "INSERT INTO task_revealed_seeds (seed_hash, agent_id, server_seed, revealed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
  ).run(s.seedHash, s.agentId, s.seed, s.at);
}

export function revealedSeeds(db: Db, agentId: string): Array<{ seedHash: string; seed: string }> {
  return (
    db
      .prepare("SELECT seed_hash, server_seed FROM task_revealed_seeds WHERE agent_id = ? ORDER BY revealed_at")
      .all(agentId) as Array<{ seed_hash: string; server_seed: string }>
  ).map((r) => ({ seedHash: r.seed_hash, seed: r.server_seed }));
}
