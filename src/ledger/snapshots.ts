import type { Db } from "../db.js";
import { FleetError } from "../errors.js";
import type { Micros } from "../money.js";
import { localBalance } from "./balances.js";
import { type RowFilter, rowFilter } from "./filter.js";
import { requireInteger, requireMicros, requireText, requireTime } from "./validate.js";

/**
 * Balance snapshots: the wallet balance-check task writes one per agent per check (server balance next to
 * the local ledger's), and the dashboard and reconciliation report read the history.
 */
export interface BalanceSnapshot {
  agentId: string;
  at: number;
  server: Micros;
  /** the server's raw float, when the caller had it */
  serverUsd: number | null;
  local: Micros;
  /** server − local */
  difference: Micros;
}

export interface SnapshotInput {
  agentId: string;
  at: number;
  server: Micros;
  serverUsd?: number | null;
  /** default: the local ledger balance now, read on the same handle (so inside the caller's transaction) */
  local?: Micros;
}

interface SnapshotRow {
  agent_id: string;
  at: number;
  server: number;
  server_usd: number | null;
  local: number;
  difference: number;
}

/** Idempotent per (agent, at): writing the same check again keeps the first row. */
export function recordBalanceSnapshot(db: Db, s: SnapshotInput): { inserted: boolean; snapshot: BalanceSnapshot } {
  requireText("agentId", s.agentId);
  requireTime("at", s.at);
  requireMicros("server", s.server);
  if (s.serverUsd !== undefined && s.serverUsd !== null && !Number.isFinite(s.serverUsd)) {
    throw new FleetError("INVALID_INPUT", `serverUsd must be a finite number or null, got \`${s.serverUsd}\``);
  }
  const local = s.local === undefined ? localBalance(db, s.agentId) : requireMicros("local", s.local);
  const result = db
    .prepare(
      `INSERT INTO balance_snapshots (agent_id, at, server, server_usd, local) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (agent_id, at) DO NOTHING`,
    )
    .run(s.agentId, s.at, s.server, s.serverUsd ?? null, local);
  const row = db.prepare(`${SELECT} WHERE agent_id = ? AND at = ?`).get(s.agentId, s.at) as SnapshotRow;
  return { inserted: result.changes === 1, snapshot: toSnapshot(row) };
}

const SELECT = "SELECT agent_id, at, server, server_usd, local, difference FROM balance_snapshots";

/** Snapshots in [from, to), newest first. */
export function listBalanceSnapshots(db: Db, q: RowFilter & { limit?: number } = {}): BalanceSnapshot[] {
  const limit = requireInteger("limit", q.limit ?? 100, 1, 10_000);
  const where = rowFilter(q, "at");
  const rows = db
    .prepare(`${SELECT} ${where.sql} ORDER BY at DESC, id DESC LIMIT @limit`)
    .all({ ...where.params, limit }) as SnapshotRow[];
  return rows.map(toSnapshot);
}

/** The newest snapshot of each agent, by agent id. */
export function latestBalanceSnapshots(db: Db): BalanceSnapshot[] {
  const rows = db
    .prepare(
      `${SELECT} WHERE id IN (
         SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY agent_id ORDER BY at DESC, id DESC) AS n
                         FROM balance_snapshots) WHERE n = 1)
       ORDER BY agent_id`,
    )
    .all() as SnapshotRow[];
  return rows.map(toSnapshot);
}

function toSnapshot(row: SnapshotRow): BalanceSnapshot {
  return {
    agentId: row.agent_id,
    at: row.at,
    server: row.server,
    serverUsd: row.server_usd,
    local: row.local,
    difference: row.difference,
  };
}
