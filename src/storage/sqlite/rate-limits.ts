import { mergeByKey, waitFor } from "../../jobs/rate-window.js";
import type { RateLimitClaim } from "../../jobs/types.js";
import type { RateLimitRepo, TakeResult } from "../rate-limits.js";
import type { SqliteConn } from "./connection.js";

export const RATE_LIMIT_MIGRATIONS = [
  `CREATE TABLE rate_calls (
     key TEXT NOT NULL,
     at INTEGER NOT NULL,
     cost INTEGER NOT NULL
   );
   CREATE INDEX rate_calls_key_at ON rate_calls (key, at);`,
  // the job a call was drawn for: restamped when it actually leaves
  `ALTER TABLE rate_calls ADD COLUMN job_id TEXT;
   CREATE INDEX rate_calls_job ON rate_calls (job_id) WHERE job_id IS NOT NULL;`,
];

/** A draw is one IMMEDIATE transaction, or a savepoint when the caller holds one (the dispatcher's claim does). */
export class SqliteRateLimitRepo implements RateLimitRepo {
  readonly #conn: SqliteConn;

  constructor(conn: SqliteConn) {
    this.#conn = conn;
  }

  async takeAll(claims: readonly RateLimitClaim[], now: number, jobId?: string): Promise<TakeResult> {
    const conn = this.#conn;
    return conn.atomic((): TakeResult => {
      let refusal: { waitMs: number; key: string } | undefined;
      for (const claim of mergeByKey(claims)) {
        conn.sql("DELETE FROM rate_calls WHERE key = ? AND at <= ?").run(claim.key, now - claim.windowMs);
        const calls = conn.sql("SELECT at, cost FROM rate_calls WHERE key = ? ORDER BY at").all(claim.key) as Array<{
          at: number;
          cost: number;
        }>;
        const waitMs = waitFor(calls, claim, now);
        if (waitMs > 0 && (!refusal || waitMs > refusal.waitMs)) refusal = { waitMs, key: claim.key };
      }
      if (refusal) return { ok: false, ...refusal };
      const record = conn.sql("INSERT INTO rate_calls (key, at, cost, job_id) VALUES (?, ?, ?, ?)");
      for (const claim of claims) record.run(claim.key, now, claim.cost ?? 1, jobId ?? null);
      return { ok: true };
    });
  }

  async restamp(jobId: string, at: number): Promise<void> {
    this.#conn.sql("UPDATE rate_calls SET at = ? WHERE job_id = ? AND at < ?").run(at, jobId, at);
  }
}
