/**
 * The ledger's repository: bets, money movements, balance snapshots and stored PnL summaries, and the aggregates
 * PnL is computed from. src/ledger keeps the rules (validation, what makes two receipts the same bet, what a
 * CONFLICT is, classification of server rows, report assembly) and calls these operations with rows it has
 * already checked; a backend only keeps rows and answers questions about them, in exact integer micro-USD.
 *
 * Writers never throw for a row that is already there: they say what they found (`existing`), and src/ledger
 * decides whether that is the same receipt (a no-op) or a CONFLICT. A writer that finds a conflict writes nothing
 * for that row.
 */
import type {
  BalanceSnapshot,
  BetRecord,
  DailyPnl,
  MovementKind,
  ServerOrigin,
  ServerRow,
  StoredBet,
  StoredMovement,
  StoredSummary,
  SummaryKind,
  TradeStats,
} from "../ledger/types.js";
import type { Micros } from "../money.js";

/** The window (`[from, to)`, ms since the epoch) and agents a query covers; src/ledger has checked it. */
export interface LedgerFilter {
  from?: number | undefined;
  to?: number | undefined;
  /** undefined or empty: every agent */
  agentIds?: readonly string[] | undefined;
}

/** A checked bet receipt, with its multiplier exactly: ×10^4 as an integer. */
export interface NewBet extends BetRecord {
  multiplierBasis: number;
}

/** One receipt's answer: stored now, or already there (the row under its client seed, else its bet id). */
export type BetWrite = { inserted: true } | { inserted: false; existing: StoredBet | undefined };

/** A checked movement, optional fields resolved. */
export interface NewMovement {
  agentId: string;
  kind: MovementKind;
  amount: Micros;
  reference: string;
  fee: Micros;
  description: string | null;
  jobId: string | null;
  at: number;
}

/** An insert under (agent, reference): stored now, or the row already under that key (left untouched). */
export type MovementInsert = { outcome: "inserted" } | { outcome: "exists"; existing: StoredMovement | undefined };

export type MovementWrite =
  | MovementInsert
  /** an imported row was the same money and was taken over (given this reference, fee, job, description) */
  | { outcome: "adopted" }
  /** an imported row was the same money but moved a different amount: nothing written */
  | { outcome: "mismatch"; serverEntryId: string; amount: Micros };

/** What the ledger refresh knows of an agent's movements. */
export interface MovementKey {
  kind: MovementKind;
  reference: string;
  /** set when the refresh imported it (the row may since have been taken over by a pf-fleet writer) */
  serverEntryId: string | null;
}

export interface BetListQuery extends LedgerFilter {
  game?: string | undefined;
  order: "asc" | "desc";
  limit: number;
  offset: number;
}

export interface MovementListQuery extends LedgerFilter {
  /** undefined or empty: every kind */
  kinds?: readonly MovementKind[] | undefined;
  /** only movements whose reference starts with this (`unattributed:` …) */
  referencePrefix?: string | undefined;
  order: "asc" | "desc";
  limit: number;
  offset: number;
}

/** Bet statistics of one group (one game, one agent, or every bet), as the rows sum them. */
export interface BetGroup {
  key: string;
  bets: number;
  wins: number;
  wagered: Micros;
  returned: Micros;
  /** Σ (payout − stake) */
  pnl: Micros;
  /** the highest net, ties to the earliest bet (time, then recording order) */
  best: TradeStats["best"];
  /** the lowest net, ties to the earliest bet */
  worst: TradeStats["worst"];
}

/** What a bet group is keyed by; `all` is one group keyed `*` (none when no bet matches). */
export type BetGrouping = "all" | "game" | "agent";

export interface ServerRowQuery {
  agentId: string;
  /** rows whose server time is at or after this (ms) */
  sinceAt?: number;
  /** rows whose server time is before this (ms) */
  beforeAt?: number;
  /** rows of this service (`faucet`, `escrow`, …) */
  service?: string;
  /** rows whose reference is this */
  reference?: string;
  /** only rows that follow a gap */
  gapsOnly?: boolean;
  /** only these rows */
  entryIds?: readonly string[];
  /** at most this many (the first in seq order) */
  limit?: number;
}

export interface SnapshotWrite {
  agentId: string;
  at: number;
  server: Micros;
  serverUsd: number | null;
  /** undefined: the agent's local ledger balance, read in the same atomic unit as the insert */
  local: Micros | undefined;
}

export interface LedgerRepo {
  // ── bets ──────────────────────────────────────────────────────────────────────────────────────────────────
  /**
   * Stores a receipt unless its client seed or bet id is already stored. The day's running total the risk
   * checks read moves with it, in the same statement.
   */
  recordBet(bet: NewBet, now: number): Promise<BetWrite>;
  /**
   * `recordBet` for many receipts in one multi-row insert, answers in input order: the same answer per receipt
   * as recording them one by one in that order (a receipt repeated in the list is stored once, its repeat
   * answers `inserted: false`).
   */
  recordBets(bets: readonly NewBet[], now: number): Promise<BetWrite[]>;
  betByClientSeed(clientSeed: string): Promise<StoredBet | undefined>;
  betByBetId(betId: string): Promise<StoredBet | undefined>;
  /** the stored bets among `clientSeeds` (absent seeds are simply missing), in no particular order */
  betsByClientSeeds(clientSeeds: readonly string[]): Promise<StoredBet[]>;
  /** the bets `jobIds` recorded, in recording order */
  betsByJobIds(jobIds: readonly string[]): Promise<StoredBet[]>;
  /** ordered by placed_at then recording order, in `order`'s direction */
  listBets(q: BetListQuery): Promise<StoredBet[]>;
  /** which of `betIds` are recorded bets of `agentId` */
  recordedBetIds(agentId: string, betIds: readonly string[]): Promise<Set<string>>;

  // ── movements ─────────────────────────────────────────────────────────────────────────────────────────────
  /**
   * A pf-fleet writer's movement, atomically: when no row has its (agent, reference) yet and its reference is
   * not an imported one, an imported row that is the same money (src/ledger/matching.ts) is taken over instead
   * of inserting; otherwise inserted once per (agent, reference).
   */
  recordMovement(movement: NewMovement, now: number): Promise<MovementWrite>;
  /** the ledger refresh's insert: once per (agent, reference), remembering the server row it came from */
  recordImportedMovement(movement: NewMovement, origin: ServerOrigin, now: number): Promise<MovementInsert>;
  movement(agentId: string, reference: string): Promise<StoredMovement | undefined>;
  /** ordered by `at` then recording order, in `order`'s direction */
  listMovements(q: MovementListQuery): Promise<StoredMovement[]>;
  /** every movement of `agentId`, as the refresh judges server rows against them */
  movementKeys(agentId: string): Promise<MovementKey[]>;
  /** the time of the agent's (latest) opening balance, if it has one */
  openingBalanceAt(agentId: string): Promise<number | undefined>;

  // ── the server ledger mirror (src/ledger/server-mirror.ts) ─────────────────────────────────────────────────
  /**
   * The agent's mirror head (its highest-seq server row not appended behind the head; never the opening mark, which
   * no read shows) and its highest seq. Inside a
   * transaction it also serialises mirror writers of the agent (PostgreSQL: the agent's ledger lock; SQLite: the
   * single writer).
   */
  mirrorHead(agentId: string): Promise<{ head: ServerRow | undefined; lastSeq: number }>;
  /** which of `entryIds` the mirror holds for `agentId` */
  serverRowIds(agentId: string, entryIds: readonly string[]): Promise<Set<string>>;
  /** appends rows (their seq chosen by the caller); a row already held under (agent, entry id) is left as it is */
  appendServerRows(rows: readonly ServerRow[]): Promise<number>;
  /** the agent's mirrored rows in seq order, filtered */
  serverRows(q: ServerRowQuery): Promise<ServerRow[]>;
  /**
   * Deletes up to `limit` mirror rows, of any agent, that the retention lets go (src/ledger/mirror-retention.ts says
   * why): a row goes when its server time is before `before`, `keepNewest` newer rows of its agent had been seen
   * before `before` (it has left the server's window for good), and a newer row of its agent is also before
   * `before`. Never the opening mark, a faucet row, the agent's head or a row appended after the head.
   * Returns how many went.
   */
  pruneServerRows(q: { before: number; keepNewest: number; limit: number }): Promise<number>;

  // ── balances and PnL ──────────────────────────────────────────────────────────────────────────────────────
  /** Σ movements (opening balance included) + Σ bet net of `agentId` */
  localBalance(agentId: string): Promise<Micros>;
  /** Σ bet net of the bets placed in the window */
  betNet(filter: LedgerFilter): Promise<Micros>;
  /** Σ net of `agentId`'s bets placed in the UTC day starting at `dayStart` (a UTC midnight) */
  agentDayNet(agentId: string, dayStart: number): Promise<Micros>;
  /** Σ net of every agent's bets placed in the UTC day starting at `dayStart` */
  fleetDayNet(dayStart: number): Promise<Micros>;
  /** bet statistics per group, in key order */
  betGroups(filter: LedgerFilter, by: BetGrouping): Promise<BetGroup[]>;
  /** bet PnL per UTC day (of placed_at) that had a bet, in date order */
  dailyBetPnl(filter: LedgerFilter): Promise<DailyPnl[]>;
  /**
   * Per-bet Sharpe ratio and max drawdown of the bet nets in time order (ties in recording order), fed one at a
   * time to src/ledger/stats.ts's accumulators: the bets are streamed, never loaded together.
   */
  betSequenceStats(filter: LedgerFilter): Promise<{ sharpePerBet: number | null; maxDrawdown: Micros }>;
  /** Σ amount of the movements in the window; escrow fees paid (on locks); faucet income */
  movementTotals(filter: LedgerFilter): Promise<{ total: Micros; escrowFees: Micros; faucetIncome: Micros }>;

  // ── snapshots and summaries ───────────────────────────────────────────────────────────────────────────────
  /** once per (agent, at), atomically: writing the same check again keeps the first row, which is returned */
  recordBalanceSnapshot(snapshot: SnapshotWrite): Promise<{ inserted: boolean; snapshot: BalanceSnapshot }>;
  /** newest first */
  listBalanceSnapshots(q: LedgerFilter & { limit: number }): Promise<BalanceSnapshot[]>;
  /** the newest snapshot of each agent, by agent id */
  latestBalanceSnapshots(): Promise<BalanceSnapshot[]>;
  /** stores a period's summary, replacing the one stored under its kind and key */
  storeSummary(summary: StoredSummary): Promise<void>;
  summary(kind: SummaryKind, key: string): Promise<StoredSummary | undefined>;
  /** summaries of one kind without their reports, newest period first */
  listSummaries(kind: SummaryKind, limit: number): Promise<Array<Omit<StoredSummary, "report">>>;
}
