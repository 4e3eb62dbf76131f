/**
 * The durable ledger: every bet and money movement as the server reported it, in integer micro-USD, and
 * the PnL analytics over it. Writers take the caller's db handle so they run inside the caller's
 * transaction; all of them are idempotent.
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
  type StoredBet,
} from "./bets.js";
export { classifyServerEntry, escrowReference, type ServerEntryClass, signedAmount } from "./classify.js";
export { createDayTotals, type DayTotals } from "./day-totals.js";
export { formatReport } from "./format.js";
export {
  type ImportDecision,
  type ImportOptions,
  type ImportOutcome,
  type ImportResult,
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
  type StoredMovement,
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
export { LEDGER_MIGRATIONS, migrateLedger } from "./schema.js";
export type { SnapshotInput } from "./snapshots.js";
export {
  type BalanceSnapshot,
  latestBalanceSnapshots,
  listBalanceSnapshots,
  recordBalanceSnapshot,
} from "./snapshots.js";
export {
  dailySummary,
  getStoredSummary,
  listStoredSummaries,
  type StoredSummary,
  type SummaryKind,
  weeklySummary,
} from "./summaries.js";
export type * from "./types.js";
