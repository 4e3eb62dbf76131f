/**
 * The durable ledger: every bet and money movement as the server reported it, in integer micro-USD, and
 * the PnL analytics over it. Every function takes the ledger of the storage seam from its caller (the `Storage`,
 * a transaction's `Tx`, or a money job's `ReceiptWriter`: anything with `ledger`), so writers run inside the
 * caller's transaction when given one; all of them are idempotent. The SQL lives behind the seam
 * (src/storage/sqlite/ledger.ts); the tables are created when the storage opens.
 */

export { localBalance, reconciliationReport } from "./balances.js";
export {
  type BetQuery,
  getBetByBetId,
  getBetByClientSeed,
  getBetsByClientSeeds,
  getBetsByJobIds,
  listBets,
  recordBet,
  recordBets,
} from "./bets.js";
export { classifyServerEntry, escrowReference, type ServerEntryClass, signedAmount } from "./classify.js";
export { createDayTotals, type DayTotals } from "./day-totals.js";
export { formatReport } from "./format.js";
export {
  type ImportDecision,
  type ImportOptions,
  type ImportOutcome,
  type ImportResult,
  type ImportTarget,
  importServerLedger,
} from "./import.js";
export { containsToken, isSameMovement, type ServerRowView } from "./matching.js";
export {
  getMovement,
  IMPORTED_PREFIX,
  listMovements,
  MOVEMENT_KINDS,
  type MovementQuery,
  recordMovement,
} from "./movements.js";
export {
  DAY_MS,
  isoWeekKey,
  type PeriodKind,
  type PeriodOptions,
  type PeriodRange,
  parseIsoWeek,
  parseUtcDate,
  periodRange,
  startOfIsoWeek,
  startOfUtcDay,
  utcDateKey,
} from "./period.js";
export { betPnl, pnlReport } from "./pnl.js";
export type { SnapshotInput } from "./snapshots.js";
export {
  latestBalanceSnapshots,
  listBalanceSnapshots,
  recordBalanceSnapshot,
} from "./snapshots.js";
export {
  dailySummary,
  getStoredSummary,
  listStoredSummaries,
  weeklySummary,
} from "./summaries.js";
export type * from "./types.js";
