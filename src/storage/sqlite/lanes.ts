import { type LaneRepo, type LaneResult, type LaneState, laneRetryAt } from "../lanes.js";
import type { SqliteConn } from "./connection.js";

export const LANE_MIGRATIONS = [
  `CREATE TABLE agent_lanes (
     agent_id TEXT PRIMARY KEY,
     holder TEXT,
     held_until INTEGER NOT NULL DEFAULT 0,
     not_before INTEGER NOT NULL DEFAULT 0
   ) WITHOUT ROWID;`,
];

/** An acquisition is one IMMEDIATE transaction: SQLite's single writer serializes acquirers of every process. */
export class SqliteLaneRepo implements LaneRepo {
  readonly #conn: SqliteConn;

  constructor(conn: SqliteConn) {
    this.#conn = conn;
  }

  async tryAcquire(
    agentIds: readonly string[],
    holder: string,
    now: number,
    leaseMs: number,
    paceMs: number,
  ): Promise<LaneResult> {
    const conn = this.#conn;
    return conn.atomic((): LaneResult => {
      const read = conn.sql(
        "SELECT holder, held_until AS heldUntil, not_before AS notBefore FROM agent_lanes WHERE agent_id = ?",
      );
      const rows = agentIds.flatMap((id) => (read.get(id) as LaneState | undefined) ?? []);
      const retryAt = laneRetryAt(rows, holder, now);
      if (retryAt !== undefined) return { acquired: false, retryAt };
      const take = conn.sql(
        `INSERT INTO agent_lanes (agent_id, holder, held_until, not_before) VALUES (?, ?, ?, ?)
         ON CONFLICT (agent_id) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until,
           not_before = excluded.not_before`,
      );
      for (const id of new Set(agentIds)) take.run(id, holder, now + leaseMs, now + paceMs);
      return { acquired: true };
    });
  }

  async release(agentIds: readonly string[], holder: string): Promise<void> {
    const free = this.#conn.sql(
      "UPDATE agent_lanes SET holder = NULL, held_until = 0 WHERE agent_id = ? AND holder = ?",
    );
    this.#conn.atomic(() => {
      for (const id of agentIds) free.run(id, holder);
    });
  }
}
