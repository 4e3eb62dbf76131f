import { type LaneRepo, type LaneResult, laneRetryAt } from "../lanes.js";
import type { PgConn } from "./connection.js";

export const PG_LANE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE agent_lanes (
     agent_id TEXT COLLATE "C" PRIMARY KEY,
     holder TEXT,
     held_until BIGINT NOT NULL DEFAULT 0,
     not_before BIGINT NOT NULL DEFAULT 0
   );`,
];

/**
 * An acquisition is one transaction that locks its lanes' rows: missing rows are inserted first (in agent-id
 * order), then every row is locked `FOR UPDATE` in agent-id order, so concurrent acquirers of shared lanes
 * serialize and never deadlock; each sees what the previous one committed (READ COMMITTED).
 */
export class PgLaneRepo implements LaneRepo {
  readonly #conn: PgConn;

  constructor(conn: PgConn) {
    this.#conn = conn;
  }

  async tryAcquire(
    agentIds: readonly string[],
    holder: string,
    now: number,
    leaseMs: number,
    paceMs: number,
  ): Promise<LaneResult> {
    const ids = [...new Set(agentIds)].sort();
    if (ids.length === 0) return { acquired: true };
    return this.#conn.atomic(async (c): Promise<LaneResult> => {
      await c.run("INSERT INTO agent_lanes (agent_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", [ids]);
      const rows = await c.rows<{ holder: string | null; held_until: string | number; not_before: string | number }>(
        "SELECT holder, held_until, not_before FROM agent_lanes WHERE agent_id = ANY($1::text[]) ORDER BY agent_id FOR UPDATE",
        [ids],
      );
      const states = rows.map((r) => ({
        holder: r.holder,
        heldUntil: Number(r.held_until),
        notBefore: Number(r.not_before),
      }));
      const retryAt = laneRetryAt(states, holder, now);
      if (retryAt !== undefined) return { acquired: false, retryAt };
      await c.run(
        "UPDATE agent_lanes SET holder = $2, held_until = $3, not_before = $4 WHERE agent_id = ANY($1::text[])",
        [ids, holder, Math.floor(now + leaseMs), Math.floor(now + paceMs)],
      );
      return { acquired: true };
    });
  }

  async release(agentIds: readonly string[], holder: string): Promise<void> {
    await this.#conn.run(
      "UPDATE agent_lanes SET holder = NULL, held_until = 0 WHERE agent_id = ANY($1::text[]) AND holder = $2",
      [[...agentIds], holder],
    );
  }
}
