/**
 * The job engine's repository: every read and compare-and-set of job rows and their events. The engine's logic
 * (state machine, canvas, retries) stays in src/jobs; a backend only keeps rows. Each method is one atomic
 * statement or a short sequence the backend makes atomic.
 */
import type { ChordMemberOutcome, JobEvent, JobFilter, JobRow, JobState, QueueName } from "../jobs/types.js";

export type JobKind = "task" | "group" | "chord" | "chain";
/** run: the next claim calls `run`; reconcile: it asks the server what happened and never sends */
export type JobPhase = "run" | "reconcile";

/** A job row with the engine's own bookkeeping, which never leaves src/jobs. */
export interface StoredJob extends JobRow {
  kind: JobKind;
  money: boolean;
  phase: JobPhase;
  reconcileAttempts: number;
  cancelRequested: boolean;
  canvasIndex: number | null;
  callbackId: string | null;
  deadlineAt: number | null;
  /** group/chord: members not yet terminal (the callback not counted); null for other rows */
  openMembers: number | null;
  updatedAt: number;
  /** a job a task-augmented MCP `tools/call` created: that task's bookkeeping (src/mcp/tasks.ts); else null */
  mcpTask: unknown;
}

/** Fields a transition may change; identity and creation fields never change, nor the member count (see below). */
export type JobPatch = Partial<
  Omit<
    StoredJob,
    | "id"
    | "task"
    | "queue"
    | "kind"
    | "money"
    | "createdAt"
    | "parentId"
    | "canvasId"
    | "canvasIndex"
    | "openMembers"
    | "mcpTask"
  >
>;

export interface JobExpectation {
  state: JobState;
  /** when set, the row must still be leased to this owner (a completion from a lost lease must not land) */
  leaseOwner?: string;
  /** with `leaseOwner`: the claim's start time, so a stale attempt cannot land on a newer claim by the same owner */
  startedAt?: number;
  /** when true, the row must have no chord callback yet (the exactly-once guard of a chord) */
  noCallbackYet?: boolean;
}

export interface ClaimQuery {
  queue: QueueName;
  /** only tasks this process can run */
  tasks: readonly string[];
  now: number;
  limit: number;
}

export interface StateCount {
  queue: QueueName;
  state: JobState;
  count: number;
}

export interface FinishedRun {
  queue: QueueName;
  finishedAt: number;
  runtimeMs: number;
}

/**
 * A bet batch's running totals (src/console/data/batch-summary.ts), summed by the database: its `casino.bet_batch`
 * members (each `args.clientSeeds` lists its bets) and the ledger's bets those members recorded. Never loads a
 * member's result, so a 50,000-bet chord costs one grouped query.
 */
export interface BetBatchTotals {
  canvasId: string;
  /** the first member's `args.bet.game` */
  game: string | null;
  callsTotal: number;
  /** members in a terminal state */
  callsDone: number;
  betsTotal: number;
  /** every bet of a finished member (settled, refused or failed), and those a running member has recorded */
  betsDone: number;
  /** bets in the ledger */
  settled: number;
  wins: number;
  staked: number;
  /** Σ (payout − stake), micro-USD */
  pnl: number;
}

/** A task job's timeline, for throughput and queue-depth charts. */
export interface JobActivity {
  queue: QueueName;
  state: JobState;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

/** A process holding leases on running jobs (lease_owner), and its newest lease expiry. */
export interface LeaseHolder {
  owner: string;
  jobs: number;
  leaseExpiresAt: number;
}

export interface MemberPage {
  /** canvas index to start after; -1 for the first page */
  afterIndex: number;
  limit: number;
}

export interface JobRepo {
  /** throws CONFLICT when the idempotency key is taken; `event`, the row's first, is written with it */
  insert(job: StoredJob, event: JobEvent): Promise<void>;
  get(id: string): Promise<StoredJob | undefined>;
  /**
   * Compare-and-set: applies `patch` to `job`'s row only if the row still matches `expect`; undefined when it did
   * not. Returns the row as it now stands without reading it whole again: `job` must be the caller's copy, read
   * in this transaction or held under its lease (then only the cancel flag, progress and lease expiry can have
   * moved under it, and those are read back). `event`, when given, is appended if and only if the update applied
   * (one statement where the backend can: a round trip saved on every move).
   */
  update(job: StoredJob, expect: JobExpectation, patch: JobPatch, event?: JobEvent): Promise<StoredJob | undefined>;
  appendEvent(event: JobEvent): Promise<void>;
  /** records an MCP task's bookkeeping on its job (no state change, no event); false when the job is gone */
  setMcpTask(id: string, mark: unknown): Promise<boolean>;
  events(jobId: string): Promise<JobEvent[]>;
  list(filter: JobFilter): Promise<{ jobs: StoredJob[]; nextCursor: string | null }>;

  /** queued/retrying rows due by `now`, by priority then due time */
  claimCandidates(query: ClaimQuery): Promise<StoredJob[]>;
  /** earliest due time among the waiting rows of `queue` whose task is one of `tasks` */
  nextDueAt(queue: QueueName, tasks: readonly string[]): Promise<number | null>;
  /** extends the leases this owner still holds; returns which it still holds and which were asked to cancel */
  renewLeases(
    owner: string,
    ids: readonly string[],
    until: number,
  ): Promise<{ held: Set<string>; cancelRequested: Set<string> }>;
  /** which of this owner's running `ids` another process has asked to cancel (a read: polled often) */
  cancelRequested(owner: string, ids: readonly string[]): Promise<Set<string>>;
  /** running rows whose lease ran out by `now`, or that belong to `owner` (a previous life of this process) */
  abandoned(now: number, owner: string | null, limit: number): Promise<StoredJob[]>;
  /** queued/retrying rows (run phase) whose `expires_at` passed */
  expiredUnstarted(now: number, limit: number): Promise<StoredJob[]>;
  /** chords whose deadline passed before their callback was created */
  chordsPastDeadline(now: number, limit: number): Promise<StoredJob[]>;
  /** a canvas's members in order (a chord's callback, once it exists, comes last); with `limit`, the first ones */
  members(canvasId: string, limit?: number): Promise<StoredJob[]>;
  /**
   * The same members as a chord callback or a group result reports them: what each ended as, nothing more. With
   * `page`, only those after canvas index `afterIndex`, at most `limit` of them: a reader of a large canvas holds
   * one page at a time.
   */
  memberOutcomes(canvasId: string, page?: MemberPage): Promise<ChordMemberOutcome[]>;
  /**
   * A member of group/chord `parentId` became terminal: counts it off, if the parent still waits for its members
   * (waiting, no chord callback yet). Returns the members still open and the canvas size, or undefined when the
   * parent is not counting (a chain, a chord whose callback exists, a finished parent).
   */
  memberFinished(parentId: string, now: number): Promise<{ open: number; total: number } | undefined>;
  /** a finished member of `parentId` runs again (retried from the dead-letter queue): counts it back on, if counting */
  memberReopened(parentId: string, now: number): Promise<boolean>;
  /** deletes jobs and their events */
  delete(ids: readonly string[]): Promise<void>;
  /** finished rows older than `before`, safe to prune (never `unknown`, never a member of an open canvas) */
  prunable(before: number, limit: number): Promise<string[]>;
  /**
   * The creation time of the oldest money task that may still be reconciled with the server (open, or ended failed,
   * dead or unknown: retry_job reconciles those first); null when there is none. The mirror's retention keeps its
   * evidence (src/ledger/mirror-retention.ts).
   */
  oldestUnsettledMoneyJobAt(): Promise<number | null>;
  /** jobs per queue and state: task jobs (the default), or canvas parents (group/chord/chain) */
  stateCounts(kind?: "task" | "canvas"): Promise<StateCount[]>;
  finishedSince(since: number): Promise<FinishedRun[]>;
  /** one row per bet-batch chord among `canvasIds` that has `casino.bet_batch` members (see BetBatchTotals) */
  betBatchTotals(canvasIds: readonly string[]): Promise<BetBatchTotals[]>;
  /**
   * Task jobs alive since `since`: not finished, or finished at or after it. Newest first, at most `limit` (a
   * chart over a busy hour reads a bounded sample, never the whole table).
   */
  activity(since: number, limit: number): Promise<JobActivity[]>;
  /** running jobs grouped by the process that leases them, by owner name */
  leaseHolders(): Promise<LeaseHolder[]>;
}
