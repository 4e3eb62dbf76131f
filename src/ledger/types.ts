/**
 * The durable ledger (src/ledger/): every bet, escrow movement, faucet claim and transfer as the server
 * reported it, in integer micro-USD. Writers take the ledger of the storage seam (`LedgerRepo`) from whoever
 * calls them, so a job can record its receipt through its transaction's `ReceiptWriter`, in the same
 * transaction that marks the job succeeded. PnL is SQL over these rows, never a cache.
 */
import type { Micros } from "../money.js";

export interface BetRecord {
  agentId: string;
  /** unique per logical bet; the reconciliation key */
  clientSeed: string;
  betId: string;
  /** API game name: coin-flip | dice | crash | multiplier */
  game: string;
  params: Record<string, unknown>;
  stake: Micros;
  payoutMultiplier: number;
  won: boolean;
  /** exact credit (stake × multiplier) when won, else 0 */
  payout: Micros;
  serverSeedHash: string;
  nonce: number;
  resultHash: string;
  roll: number | null;
  jobId: string | null;
  placedAt: number;
  /** how we learnt of it: the response, or reconciliation from the server's export */
  source: "response" | "reconciled";
}

/**
 * A money movement that is not a bet, signed from the agent's point of view (credit > 0).
 * kind: escrow_lock (creator −amount), escrow_release (counterparty +net), escrow_refund (creator +net),
 * faucet (+1), transfer_out / transfer_in, deposit / external (server credits pf-fleet did not cause,
 * imported by the ledger refresh), opening_balance (balance when the agent joined the fleet).
 */
export type MovementKind =
  | "opening_balance"
  | "escrow_lock"
  | "escrow_release"
  | "escrow_refund"
  | "faucet"
  | "transfer_out"
  | "transfer_in"
  | "domain_purchase"
  | "deposit"
  | "external";

export interface MovementRecord {
  agentId: string;
  kind: MovementKind;
  amount: Micros;
  /** unique per movement (escrow id + leg, claim id, server ledger row id); duplicates are ignored */
  reference: string;
  /** escrow commission paid, for the fee line of reports */
  fee?: Micros;
  description?: string;
  jobId?: string | null;
  at: number;
}

/** A bet as stored: the record plus what the ledger derives from it. */
export interface StoredBet extends BetRecord {
  /** payout − stake */
  net: Micros;
  recordedAt: number;
}

export interface StoredMovement extends MovementRecord {
  fee: number;
  description: string | undefined;
  jobId: string | null;
  recordedAt: number;
}

/**
 * One row of an agent's server ledger as pf-fleet saw it (`GET /auth/ledger` shows only the newest 50; the
 * mirror keeps every row ever seen, src/ledger/server-mirror.ts). `seq` is the order rows were appended in:
 * the server's own order for rows of one read, which the balances chain (`balanceAfter`). The head is the
 * newest row appended in order (not `behindHead`): the row the next read must reach back to.
 */
export interface ServerRow {
  agentId: string;
  entryId: string;
  seq: number;
  type: string;
  /** as the server wrote it: a magnitude, the direction is in `type` */
  amount: Micros;
  balanceAfter: Micros;
  reason: string;
  reference: string | null;
  service: string;
  /** server time, ms (whole seconds) */
  at: number;
  /**
   * Set on the first row seen after rows that were never seen (they left the 50-row window between two reads):
   * the balance those unseen rows moved, signed. The evidence for an `unattributed` movement.
   */
  gapBefore: Micros | null;
  /**
   * Appended from a read older than the mirror's head (two syncs raced and the older read committed last): it
   * fills in what the head's read no longer showed, and is never the head itself.
   */
  behindHead: boolean;
  seenAt: number;
}

/** The server ledger row an imported movement came from (written by the ledger refresh only). */
export interface ServerOrigin {
  entryId: string;
  reference: string | null;
  reason: string;
}

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

export type SummaryKind = "daily" | "weekly";

export interface StoredSummary {
  kind: SummaryKind;
  /** `2026-11-23` (daily) or `2026-W48` (weekly) */
  key: string;
  from: number;
  to: number;
  report: PnlReport;
  computedAt: number;
}

export interface PnlQuery {
  /** inclusive, ms since epoch */
  from?: number;
  /** exclusive, ms since epoch */
  to?: number;
  agentIds?: string[];
}

export interface TradeStats {
  bets: number;
  wins: number;
  losses: number;
  /** 0–1; null with no bets */
  winRate: number | null;
  wagered: Micros;
  returned: Micros;
  /** Σ (payout − stake) */
  pnl: Micros;
  best: { clientSeed: string; betId: string; net: Micros } | null;
  worst: { clientSeed: string; betId: string; net: Micros } | null;
}

export interface DailyPnl {
  /** YYYY-MM-DD, UTC */
  date: string;
  pnl: Micros;
  bets: number;
}

export interface PnlReport {
  from: number | null;
  to: number | null;
  totals: TradeStats;
  byGame: Record<string, TradeStats>;
  byAgent: Record<string, TradeStats>;
  escrowFees: Micros;
  faucetIncome: Micros;
  /** every movement and bet together: the change of the agents' balances over the period */
  netChange: Micros;
  days: DailyPnl[];
  averageDailyPnl: Micros | null;
  bestDay: DailyPnl | null;
  worstDay: DailyPnl | null;
  /** mean/stdev of per-bet net; null with < 2 bets or zero variance */
  sharpePerBet: number | null;
  /** mean/stdev of daily PnL; null with < 2 days */
  sharpeDaily: number | null;
  /** largest peak-to-trough fall of cumulative PnL (bets in time order), ≥ 0 */
  maxDrawdown: Micros;
}

export interface ReconciliationLine {
  agentId: string;
  /** Σ of the agent's ledger rows (opening balance included) */
  local: Micros;
  /** server balance, rounded to the micro */
  server: Micros;
  /** server − local; 0 when they agree */
  difference: Micros;
  /** of `local`: money no seen server row explained, recorded as `unattributed:` movements */
  unattributed: Micros;
  ok: boolean;
}
