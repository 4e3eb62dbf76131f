import type { FaucetMemory, FaucetOutcome, RevealedSeed, TaskMemoryRepo } from "../task-memory.js";
import type { PgConn } from "./connection.js";

/**
 * The tasks' memory on PostgreSQL: every method one statement. First-wins writes are INSERT … ON CONFLICT DO
 * NOTHING: a racing insert waits for the first to commit, then does nothing.
 */
export class PgTaskMemoryRepo implements TaskMemoryRepo {
  readonly #conn: PgConn;

  constructor(conn: PgConn) {
    this.#conn = conn;
  }

  async submittedChord(jobId: string): Promise<string | undefined> {
    const row = await this.#conn.row<{ chord_id: string }>(
      "SELECT chord_id FROM task_batch_submissions WHERE job_id = $1",
      [jobId],
    );
    return row?.chord_id;
  }

  async rememberSubmission(jobId: string, chordId: string, at: number): Promise<void> {
    await this.#conn.run("INSERT INTO task_batch_submissions (job_id, chord_id, created_at) VALUES ($1, $2, $3)", [
      jobId,
      chordId,
      at,
    ]);
  }

  async faucetMemory(agentId: string): Promise<FaucetMemory | undefined> {
    const row = await this.#conn.row<{ agent_id: string; outcome: FaucetOutcome; claim_id: string | null; at: number }>(
      "SELECT agent_id, outcome, claim_id, at FROM task_faucet_claims WHERE agent_id = $1",
      [agentId],
    );
    return row && { agentId: row.agent_id, outcome: row.outcome, claimId: row.claim_id, at: row.at };
  }

  async rememberFaucet(m: FaucetMemory): Promise<void> {
    await this.#conn.run(
      "INSERT INTO task_faucet_claims (agent_id, outcome, claim_id, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
      [m.agentId, m.outcome, m.claimId, m.at],
    );
  }

  async rememberRevealedSeed(s: RevealedSeed): Promise<void> {
    await this.#conn.run(
      "INSERT INTO task_revealed_seeds (seed_hash, agent_id, server_seed, revealed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
      [s.seedHash, s.agentId, s.seed, s.at],
    );
  }

  async revealedSeeds(agentId: string): Promise<Array<{ seedHash: string; seed: string }>> {
    const rows = await this.#conn.rows<{ seed_hash: string; server_seed: string }>(
      "SELECT seed_hash, server_seed FROM task_revealed_seeds WHERE agent_id = $1 ORDER BY revealed_at, seq",
      [agentId],
    );
    return rows.map((r) => ({ seedHash: r.seed_hash, seed: r.server_seed }));
  }
}
