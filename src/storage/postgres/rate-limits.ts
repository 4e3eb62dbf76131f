import { mergeByKey, waitFor, waitInLine } from "../../jobs/rate-window.js";
import type { RateLimitClaim } from "../../jobs/types.js";
import type { RateKeyUsage, RateLimitRepo, TakeResult } from "../rate-limits.js";
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
  // jobs waiting in line under a key (src/storage/rate-limits.ts): oldest first, by job id
  `CREATE TABLE rate_waiters (
     key TEXT COLLATE "C" NOT NULL,
     job_id TEXT COLLATE "C" NOT NULL,
     PRIMARY KEY (key, job_id)
   );
   CREATE INDEX rate_waiters_job ON rate_waiters (job_id);`,
];

/** the first half of the two-key advisory locks that guard rate keys: apart from every other advisory lock */
const RATE_LOCK_SPACE = 0x70665f72; // "pf_r"

/**
 * A draw is one transaction, or a savepoint when the caller holds one (the dispatcher's claim does). SQLite's
 * single writer serializes draws; here each key is guarded by an advisory lock held until the (outer)
 * transaction ends, so a draw reads the log only once the previous draw on its keys has committed or rolled back.
 * An anonymous draw waits for the lock; a job's draw (inside a claim that may hold other keys) never waits: a key
 * another claim holds answers `busy`, and the job is left due for the next claim.
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
      if (jobId !== undefined) {
        // A job's draw is part of a claim that draws for other jobs too, under other keys, and holds every key
        // until it commits: waiting here could deadlock with another process's claim. It does not wait; a key
        // another claim holds leaves the job due, untouched, for the next claim a moment later.
        const free = await c.row<{ ok: boolean }>(
          `SELECT bool_and(pg_try_advisory_xact_lock(${RATE_LOCK_SPACE}, h)) AS ok
           FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) AS k ORDER BY h) s`,
          [keys],
        );
        if (!free?.ok) return { ok: false, waitMs: 0, key: keys.join(", "), busy: true };
      } else {
        await c.run(
          `SELECT pg_advisory_xact_lock(${RATE_LOCK_SPACE}, h)
           FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) AS k) s ORDER BY h`,
          [keys],
        );
      }
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
      // the oldest older job still waiting in each key's line (queued or retrying, to run); the key locks above
      // keep every line still until this transaction ends
      const ahead = new Map<string, { jobId: string; dueAt: number }>();
      if (jobId !== undefined) {
        const rows = await c.rows<{ key: string; job_id: string; due_at: string | number }>(
          `SELECT DISTINCT ON (w.key) w.key, w.job_id, j.due_at FROM rate_waiters w JOIN jobs j ON j.id = w.job_id
           WHERE w.key = ANY($1::text[]) AND w.job_id < $2 AND j.state IN ('queued', 'retrying') AND j.phase = 'run'
           ORDER BY w.key, w.job_id`,
          [keys, jobId],
        );
        for (const r of rows) ahead.set(r.key, { jobId: r.job_id, dueAt: Number(r.due_at) });
      }
      let refusal: { waitMs: number; key: string; behind?: string } | undefined;
      const refusedKeys: string[] = [];
      for (const claim of merged) {
        const first = ahead.get(claim.key);
        const waitMs = waitInLine(
          waitFor(
            calls.filter((call) => call.key === claim.key),
            claim,
            now,
          ),
          first,
          now,
        );
        if (waitMs > 0) refusedKeys.push(claim.key);
        if (waitMs > 0 && (!refusal || waitMs > refusal.waitMs)) {
          refusal = { waitMs, key: claim.key, ...(first ? { behind: first.jobId } : {}) };
        }
      }
      if (refusal) {
        if (jobId !== undefined) {
          // in line under the keys that refused it, and only those (another key's line is not held up)
          await c.run(
            "INSERT INTO rate_waiters (key, job_id) SELECT k, $2 FROM unnest($1::text[]) AS k ON CONFLICT DO NOTHING",
            [refusedKeys, jobId],
          );
          await c.run("DELETE FROM rate_waiters WHERE job_id = $2 AND NOT (key = ANY($1::text[]))", [
            refusedKeys,
            jobId,
          ]);
        }
        return { ok: false, ...refusal };
      }
      await c.run(
        "INSERT INTO rate_calls (key, at, cost, job_id) SELECT k, $2::bigint, n, $4 FROM unnest($1::text[], $3::bigint[]) AS t (k, n)",
        [claims.map((claim) => claim.key), now, claims.map((claim) => claim.cost ?? 1), jobId ?? null],
      );
      if (jobId !== undefined) {
        // out of every line; nobody older is still waiting under these keys (else this draw was refused), so
        // what is left ahead of it there is stale
        await c.run("DELETE FROM rate_waiters WHERE job_id = $1", [jobId]);
        await c.run("DELETE FROM rate_waiters WHERE key = ANY($1::text[]) AND job_id < $2", [keys, jobId]);
      }
      return { ok: true };
    });
  }

  async restamp(jobId: string, at: number): Promise<void> {
    await this.#conn.run("UPDATE rate_calls SET at = $1 WHERE job_id = $2 AND at < $1", [at, jobId]);
  }

  async usage(since: number): Promise<RateKeyUsage[]> {
    // a read of committed rows: no advisory lock, so it never holds up a draw
    return this.#conn.rows<RateKeyUsage>(
      `SELECT key, SUM(used)::int AS used, MIN(oldest) AS "oldestAt", SUM(waiting)::int AS waiting FROM (
         SELECT key, SUM(cost) AS used, MIN(at) AS oldest, 0 AS waiting FROM rate_calls WHERE at > $1 GROUP BY key
         UNION ALL
         SELECT w.key, 0, NULL, COUNT(*) FROM rate_waiters w JOIN jobs j ON j.id = w.job_id
         WHERE j.state IN ('queued', 'retrying') AND j.phase = 'run' GROUP BY w.key
       ) u GROUP BY key ORDER BY key`,
      [since],
    );
  }
}
