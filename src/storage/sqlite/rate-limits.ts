import { mergeByKey, waitFor, waitInLine } from "../../jobs/rate-window.js";
import type { RateLimitClaim } from "../../jobs/types.js";
import type { RateKeyUsage, RateLimitRepo, TakeResult } from "../rate-limits.js";
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
  // jobs waiting in line under a key (src/storage/rate-limits.ts): oldest first, by job id
  `CREATE TABLE rate_waiters (
     key TEXT NOT NULL,
     job_id TEXT NOT NULL,
     PRIMARY KEY (key, job_id)
   ) WITHOUT ROWID;
   CREATE INDEX rate_waiters_job ON rate_waiters (job_id);`,
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
      let refusal: { waitMs: number; key: string; behind?: string } | undefined;
      const merged = mergeByKey(claims);
      const refusedKeys = new Set<string>();
      for (const claim of merged) {
        conn.sql("DELETE FROM rate_calls WHERE key = ? AND at <= ?").run(claim.key, now - claim.windowMs);
        const calls = conn.sql("SELECT at, cost FROM rate_calls WHERE key = ? ORDER BY at").all(claim.key) as Array<{
          at: number;
          cost: number;
        }>;
        const ahead = jobId === undefined ? undefined : this.#ahead(claim.key, jobId);
        const waitMs = waitInLine(waitFor(calls, claim, now), ahead, now);
        if (waitMs > 0) refusedKeys.add(claim.key);
        if (waitMs > 0 && (!refusal || waitMs > refusal.waitMs)) {
          refusal = { waitMs, key: claim.key, ...(ahead ? { behind: ahead.jobId } : {}) };
        }
      }
      if (refusal) {
        if (jobId !== undefined) {
          // in line under the keys that refused it, and only those (another key's line is not held up)
          const join = conn.sql("INSERT OR IGNORE INTO rate_waiters (key, job_id) VALUES (?, ?)");
          const leave = conn.sql("DELETE FROM rate_waiters WHERE key = ? AND job_id = ?");
          for (const { key } of merged) (refusedKeys.has(key) ? join : leave).run(key, jobId);
        }
        return { ok: false, ...refusal };
      }
      const record = conn.sql("INSERT INTO rate_calls (key, at, cost, job_id) VALUES (?, ?, ?, ?)");
      for (const claim of claims) record.run(claim.key, now, claim.cost ?? 1, jobId ?? null);
      if (jobId !== undefined) {
        conn.sql("DELETE FROM rate_waiters WHERE job_id = ?").run(jobId);
        // nobody older is still waiting under these keys (else this draw was refused): what is left is stale
        const stale = conn.sql("DELETE FROM rate_waiters WHERE key = ? AND job_id < ?");
        for (const { key } of merged) stale.run(key, jobId);
      }
      return { ok: true };
    });
  }

  /** the oldest job older than `jobId` still waiting under `key` (queued or retrying, to run), with its due time */
  #ahead(key: string, jobId: string): { jobId: string; dueAt: number } | undefined {
    const row = this.#conn
      .sql(
        `SELECT w.job_id AS jobId, j.due_at AS dueAt FROM rate_waiters w JOIN jobs j ON j.id = w.job_id
         WHERE w.key = ? AND w.job_id < ? AND j.state IN ('queued', 'retrying') AND j.phase = 'run'
         ORDER BY w.job_id LIMIT 1`,
      )
      .get(key, jobId) as { jobId: string; dueAt: number } | undefined;
    return row;
  }

  async restamp(jobId: string, at: number): Promise<void> {
    this.#conn.sql("UPDATE rate_calls SET at = ? WHERE job_id = ? AND at < ?").run(at, jobId, at);
  }

  async usage(since: number): Promise<RateKeyUsage[]> {
    return this.#conn
      .sql(
        `SELECT key, SUM(used) AS used, MIN(oldest) AS oldestAt, SUM(waiting) AS waiting FROM (
           SELECT key, SUM(cost) AS used, MIN(at) AS oldest, 0 AS waiting FROM rate_calls WHERE at > @since GROUP BY key
           UNION ALL
           SELECT w.key, 0, NULL, COUNT(*) FROM rate_waiters w JOIN jobs j ON j.id = w.job_id
           WHERE j.state IN ('queued', 'retrying') AND j.phase = 'run' GROUP BY w.key
         ) GROUP BY key ORDER BY key`,
      )
      .all({ since }) as RateKeyUsage[];
  }
}
