/**
 * The ledger's rows as both backends return them (column names are the same in SQLite and PostgreSQL), and how
 * they become the ledger's types. Only `won` differs by backend: 0/1 in SQLite, a boolean in PostgreSQL.
 */
import type { BalanceSnapshot, MovementKind, ServerRow, StoredBet, StoredMovement } from "../ledger/types.js";

export interface BetRow {
  agent_id: string;
  client_seed: string;
  bet_id: string;
  game: string;
  params: string;
  stake: number;
  multiplier_basis: number;
  /** SQLite: 0 or 1; PostgreSQL: a boolean */
  won: number | boolean;
  payout: number;
  net: number;
  server_seed_hash: string;
  nonce: number;
  result_hash: string;
  roll: number | null;
  job_id: string | null;
  placed_at: number;
  source: "response" | "reconciled";
  recorded_at: number;
}

export interface MovementRow {
  agent_id: string;
  kind: MovementKind;
  amount: number;
  reference: string;
  fee: number;
  description: string | null;
  job_id: string | null;
  at: number;
  recorded_at: number;
}

export interface SnapshotRow {
  agent_id: string;
  at: number;
  server: number;
  server_usd: number | null;
  local: number;
  difference: number;
}

export function toBet(row: BetRow): StoredBet {
  return {
    agentId: row.agent_id,
    clientSeed: row.client_seed,
    betId: row.bet_id,
    game: row.game,
    params: JSON.parse(row.params) as Record<string, unknown>,
    stake: row.stake,
    payoutMultiplier: row.multiplier_basis / 10_000,
    won: row.won === true || row.won === 1,
    payout: row.payout,
    net: row.net,
    serverSeedHash: row.server_seed_hash,
    nonce: row.nonce,
    resultHash: row.result_hash,
    roll: row.roll,
    jobId: row.job_id,
    placedAt: row.placed_at,
    source: row.source,
    recordedAt: row.recorded_at,
  };
}

export function toMovement(row: MovementRow): StoredMovement {
  return {
    agentId: row.agent_id,
    kind: row.kind,
    amount: row.amount,
    reference: row.reference,
    fee: row.fee,
    description: row.description ?? undefined,
    jobId: row.job_id,
    at: row.at,
    recordedAt: row.recorded_at,
  };
}

export function toSnapshot(row: SnapshotRow): BalanceSnapshot {
  return {
    agentId: row.agent_id,
    at: row.at,
    server: row.server,
    serverUsd: row.server_usd,
    local: row.local,
    difference: row.difference,
  };
}

export interface ServerRowRow {
  agent_id: string;
  entry_id: string;
  seq: number;
  type: string;
  amount: number;
  balance_after: number;
  reason: string;
  reference: string | null;
  service: string;
  at: number;
  gap_before: number | null;
  /** 0/1 in SQLite, a boolean in PostgreSQL */
  behind_head: number | boolean;
  seen_at: number;
}

export const SERVER_ROW_COLUMNS =
  "agent_id, entry_id, seq, type, amount, balance_after, reason, reference, service, at, gap_before, behind_head, seen_at";

export function toServerRow(row: ServerRowRow): ServerRow {
  return {
    agentId: row.agent_id,
    entryId: row.entry_id,
    seq: row.seq,
    type: row.type,
    amount: row.amount,
    balanceAfter: row.balance_after,
    reason: row.reason,
    reference: row.reference,
    service: row.service,
    at: row.at,
    gapBefore: row.gap_before,
    behindHead: Boolean(row.behind_head),
    seenAt: row.seen_at,
  };
}

/** A row's values in SERVER_ROW_COLUMNS order; `flag` encodes `behindHead` as the backend stores booleans. */
export function serverRowValues(r: ServerRow, flag: (b: boolean) => unknown): unknown[] {
  return [
    r.agentId,
    r.entryId,
    r.seq,
    r.type,
    r.amount,
    r.balanceAfter,
    r.reason,
    r.reference,
    r.service,
    r.at,
    r.gapBefore,
    flag(r.behindHead),
    r.seenAt,
  ];
}

/**
 * `LedgerRepo.pruneServerRows` in either dialect: `p` spells its parameters (`skip` is `keepNewest − 1`, the offset
 * of the agent's keepNewest-th newest row), `ahead(alias)` the test that a row is not behind the head, and `lock`
 * what PostgreSQL adds so that processes pruning at once take different rows instead of waiting on each other.
 */
export function pruneServerRowsSql(
  p: { before: string; skip: string; limit: string },
  ahead: (alias: string) => string,
  lock = "",
): string {
  return `WITH bounds AS (
    SELECT a.agent_id,
      (SELECT MAX(h.seq) FROM server_ledger_rows h
        WHERE h.agent_id = a.agent_id AND ${ahead("h")} AND h.type <> 'opening') AS head_seq,
      (SELECT w.at FROM server_ledger_rows w
        WHERE w.agent_id = a.agent_id AND w.type <> 'opening' AND w.seen_at < ${p.before}
        ORDER BY w.at DESC LIMIT 1 OFFSET ${p.skip}) AS window_at,
      (SELECT MAX(o.at) FROM server_ledger_rows o WHERE o.agent_id = a.agent_id AND o.at < ${p.before}) AS anchor_at
    FROM (SELECT DISTINCT agent_id FROM server_ledger_rows WHERE at < ${p.before}) a
  )
  DELETE FROM server_ledger_rows WHERE (agent_id, entry_id) IN (
    SELECT r.agent_id, r.entry_id FROM server_ledger_rows r JOIN bounds b ON b.agent_id = r.agent_id
    WHERE r.at < b.anchor_at AND r.at < b.window_at AND r.seq < b.head_seq
      AND r.type <> 'opening' AND r.service <> 'faucet'
    LIMIT ${p.limit} ${lock}
  )`;
}
