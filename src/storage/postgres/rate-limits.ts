import { mergeByKey, waitFor } from "../../jobs/rate-window.js";
import type { RateLimitClaim } from "../../jobs/types.js";
import type { RateLimitRepo, TakeResult } from "../rate-limits.js";
import type { PgConn } from "./connection.js";

export const PG_RATE_LIMIT_MIGRATIONS: readonly string[] = [
  `CREATE TABLE rate_calls (
     key TEXT COLLATE "C" NOT NULL,
     at BIGINT NOT NULL,
     cost BIGINT NOT NULL
   );
   CREATE INDEX rate_calls_key_at ON rate_calls (key, at);`,
  // the job a call was drawn for: restamped when it actually leaves
  `ALTER TABLE rate_calls ADD COLUMN job_id TEXT COLLATE "C";
   CREATE INDEX rate_calls_job ON rate_calls (job_id) WHERE job_id IS NOT NULL;`,
];

/** the first half of the two-key advisory locks that guard rate keys: apart from every other advisory lock */
const RATE_LOCK_SPACE = 0x70665f72; // "pf_r"

/**
 * A draw is one transaction, or a savepoint when the caller holds one (the dispatcher's claim does). SQLite's
 * single writer serializes draws; here each key's draws queue on an advisory lock held until the (outer)
 * transaction ends, so a draw reads the log only once the previous draw on its keys has committed or rolled back.
 */
export class PgRateLimitRepo implements RateLimitRepo {
  readonly #conn: PgConn;

  constructor(conn: PgConn) {
    this.#conn = conn;
  }

  async takeAll(claims: readonly RateLimitClaim[], now: number, jobId?: string): Promise<TakeResult> {
    if (claims.length === 0) return { ok: true };
    const merged = mergeByKey(claims);
    const keys = merged.map((c) => c.key);
    return this.#conn.atomic(async (c): Promise<TakeResult> => {
      // Every draw takes its locks in one order (by lock id, so even two keys whose hashes collide cannot
      // deadlock); PostgreSQL evaluates a volatile select list after ORDER BY. READ COMMITTED: the statements
      // below see whatever the previous holder committed.
      await c.run(
        `SELECT pg_advisory_xact_lock(${RATE_LOCK_SPACE}, h)
         FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) AS k) s ORDER BY h`,
        [keys],
      );
      // `at <= now - windowMs` as SQLite has it; floored, since `at` is whole (and so the index serves it)
      await c.run(
        `DELETE FROM rate_calls r USING unnest($1::text[], $2::bigint[]) AS w (key, cutoff)
         WHERE r.key = w.key AND r.at <= w.cutoff`,
        [keys, merged.map((m) => Math.floor(now - m.windowMs))],
      );
      const calls = await c.rows<{ key: string; at: number; cost: number }>(
        "SELECT key, at, cost FROM rate_calls WHERE key = ANY($1::text[]) ORDER BY key, at",
        [keys],
      );
      let refusal: { waitMs: number; key: string } | undefined;
      for (const claim of merged) {
        const waitMs = waitFor(
          calls.filter((call) => call.key === claim.key),
          claim,
          now,
        );
        if (waitMs > 0 && (!refusal || waitMs > refusal.waitMs)) refusal = { waitMs, key: claim.key };
      }
      if (refusal) return { ok: false, ...refusal };
      await c.run(
        "INSERT INTO rate_calls (key, at, cost, job_id) SELECT k, $2::bigint, n, $4 FROM unnest($1::text[], $3::bigint[]) AS t (k, n)",
        [claims.map((claim) => claim.key), now, claims.map((claim) => claim.cost ?? 1), jobId ?? null],
      );
      return { ok: true };
    });
  }

  async restamp(jobId: string, at: number): Promise<void> {
    await this.#conn.run("UPDATE rate_calls SET at = $1 WHERE job_id = $2 AND at < $1", [at, jobId]);
  }
}
