import type { FaucetMemory, FaucetOutcome, RevealedSeed, TaskMemoryRepo } from "../task-memory.js";
import type { SqliteConn } from "./connection.js";

/** The tasks' memory on SQLite: every method one statement. */
export class SqliteTaskMemoryRepo implements TaskMemoryRepo {
  readonly #conn: SqliteConn;

  constructor(conn: SqliteConn) {
    this.#conn = conn;
  }

  async submittedChord(jobId: string): Promise<string | undefined> {
    const chordId = this.#conn.sql("SELECT chord_id FROM task_batch_submissions WHERE job_id = ?").pluck().get(jobId);
    return chordId as string | undefined;
  }

  async rememberSubmission(jobId: string, chordId: string, at: number): Promise<void> {
    this.#conn
      .sql("INSERT INTO task_batch_submissions (job_id, chord_id, created_at) VALUES (?, ?, ?)")
      .run(jobId, chordId, at);
  }

  async faucetMemory(agentId: string): Promise<FaucetMemory | undefined> {
    const row = this.#conn
      .sql("SELECT agent_id, outcome, claim_id, at FROM task_faucet_claims WHERE agent_id = ?")
      .get(agentId) as { agent_id: string; outcome: FaucetOutcome; claim_id: string | null; at: number } | undefined;
    return row && { agentId: row.agent_id, outcome: row.outcome, claimId: row.claim_id, at: row.at };
  }

  async rememberFaucet(m: FaucetMemory): Promise<void> {
    this.#conn
      .sql(
        "INSERT INTO task_faucet_claims (agent_id, outcome, claim_id, at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
      )
      .run(m.agentId, m.outcome, m.claimId, m.at);
  }

  async rememberRevealedSeed(s: RevealedSeed): Promise<void> {
    this.#conn
      .sql(
        "INSERT INTO task_revealed_seeds (seed_hash, agent_id, server_seed, revealed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
      )
      .run(s.seedHash, s.agentId, s.seed, s.at);
  }

  async revealedSeeds(agentId: string): Promise<Array<{ seedHash: string; seed: string }>> {
    const rows = this.#conn
      .sql("SELECT seed_hash, server_seed FROM task_revealed_seeds WHERE agent_id = ? ORDER BY revealed_at")
      .all(agentId) as Array<{ seed_hash: string; server_seed: string }>;
    return rows.map((r) => ({ seedHash: r.seed_hash, seed: r.server_seed }));
  }
}
