import { FleetError } from "../errors.js";
import type { Micros } from "../money.js";
import type { Executor } from "../storage/types.js";
import { type RowFilter, rowFilter } from "./filter.js";
import type { BalanceSnapshot } from "./types.js";
import { requireInteger, requireMicros, requireText, requireTime } from "./validate.js";

export type { BalanceSnapshot };

export interface SnapshotInput {
  agentId: string;
  at: number;
  server: Micros;
  serverUsd?: number | null;
  /** default: the local ledger balance now, read by the same atomic write (so inside the caller's transaction) */
  local?: Micros;
}

/** Idempotent per (agent, at): writing the same check again keeps the first row. */
export async function recordBalanceSnapshot(
  x: Pick<Executor, "ledger">,
  s: SnapshotInput,
): Promise<{ inserted: boolean; snapshot: BalanceSnapshot }> {
  requireText("agentId", s.agentId);
  requireTime("at", s.at);
  requireMicros("server", s.server);
  if (s.serverUsd !== undefined && s.serverUsd !== null && !Number.isFinite(s.serverUsd)) {
    throw new FleetError("INVALID_INPUT", `serverUsd must be a finite number or null, got \`${s.serverUsd}\``);
  }
  const local = s.local === undefined ? undefined : requireMicros("local", s.local);
  return x.ledger.recordBalanceSnapshot({
    agentId: s.agentId,
    at: s.at,
    server: s.server,
    serverUsd: s.serverUsd ?? null,
    local,
  });
}

/** Snapshots in [from, to), newest first. */
export async function listBalanceSnapshots(
  x: Pick<Executor, "ledger">,
  q: RowFilter & { limit?: number } = {},
): Promise<BalanceSnapshot[]> {
  const limit = requireInteger("limit", q.limit ?? 100, 1, 10_000);
  return x.ledger.listBalanceSnapshots({ ...rowFilter(q), limit });
}

/** The newest snapshot of each agent, by agent id. */
export function latestBalanceSnapshots(x: Pick<Executor, "ledger">): Promise<BalanceSnapshot[]> {
  return x.ledger.latestBalanceSnapshots();
}
