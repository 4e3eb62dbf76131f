/**
 * The job engine's contract (src/jobs/): what tools, resources and the scheduler may call. Job rows live behind
 * the storage seam (src/storage/), in SQLite or PostgreSQL; every call that touches them is async.
 */
import type { z } from "zod";
import type { QueueName } from "../config.js";
import type { FleetError } from "../errors.js";
import type { Executor, ReceiptWriter, Tx } from "../storage/types.js";

export type { QueueName };

/**
 * queued     waiting for its due time and a free slot
 * running    leased by one process; its lease must be renewed
 * retrying   failed an attempt; due again after backoff
 * succeeded  done; `result` holds the value
 * failed     permanent error; not retried
 * dead       out of attempts (dead-letter): listable, retryable, discardable
 * cancelled  revoked before it could finish
 * expired    not started before its `expires_at`
 * unknown    a money job whose outcome could not be proven either way; visible, never retried blindly
 * waiting    a canvas parent (group/chord/chain) waiting on its members
 */
export const JOB_STATES = [
  "queued",
  "running",
  "retrying",
  "succeeded",
  "failed",
  "dead",
  "cancelled",
  "expired",
  "unknown",
  "waiting",
] as const;

export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES: readonly JobState[] = ["succeeded", "failed", "dead", "cancelled", "expired", "unknown"];

/**
 * For money-moving jobs: where the request stands.
 * intent    recorded durably, not yet known to be sent (a claimed attempt may have sent it)
 * done      the server processed it; receipt in the ledger
 * not_done  proven not processed (refused, or reconciled as absent); safe to send again
 * unknown   could not be proven either way yet
 */
export type MoneyState = "intent" | "done" | "not_done" | "unknown";

export interface RetryPolicy {
  /** attempts in all, the first included */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** 0–1: share of the delay that is randomised */
  jitter: number;
}

export interface JobProgress {
  done: number;
  total: number;
  message?: string;
}

export interface JobRow {
  id: string;
  task: string;
  queue: QueueName;
  state: JobState;
  priority: number;
  /** validated task arguments; never holds a key */
  args: unknown;
  result: unknown;
  error: ReturnType<FleetError["toJSON"]> | null;
  attempts: number;
  maxAttempts: number;
  moneyState: MoneyState | null;
  /** unique per money job (for bets: the client_seed) */
  idempotencyKey: string | null;
  parentId: string | null;
  /** group / chord / chain id this job belongs to */
  canvasId: string | null;
  progress: JobProgress | null;
  createdAt: number;
  dueAt: number;
  expiresAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
}

export interface JobEvent {
  at: number;
  jobId: string;
  from: JobState | null;
  to: JobState;
  reason: string;
  /** set on progress updates (from === to, reason "progress"); these are emitted, not stored in job_events */
  progress?: JobProgress;
}

export interface TaskContext<A> {
  job: JobRow;
  args: A;
  attempt: number;
  /** aborted on cancel, on the time limit, and on shutdown; pass it to every HTTP call */
  signal: AbortSignal;
  progress(p: JobProgress): void;
  /**
   * Registers a write (e.g. the ledger receipt) that the engine runs inside the SAME transaction that marks the
   * job succeeded, so the result and its receipt are committed together or not at all (River's JobCompleteTx).
   * The writer offers the ledger and the tasks' memory only. Dropped on failure; a reconciliation's writes also
   * commit with a `not_done` outcome (what it proved done of a batch).
   */
  onCommit(write: (tx: ReceiptWriter) => Promise<unknown>): void;
  /** read access to the storage while the task runs (each call its own atomic read) */
  storage: Executor;
}

/**
 * One draw on a rate limit a task makes before each run: at most `limit` calls under `key` in any window of
 * `windowMs` (src/jobs/rate-limit.ts has the Purple Flea defaults).
 */
export interface RateLimitClaim {
  /** e.g. `casino:agent:<id>:games`, `casino:ip:/games/crash` */
  key: string;
  limit: number;
  windowMs: number;
  /** calls this draw counts for; default 1 */
  cost?: number;
  /**
   * a per-IP limit of the server: counted for each egress (PF_EGRESS_ID) on its own, where every other limit is
   * shared by the whole fleet
   */
  perEgress?: boolean;
}

/** What a chord callback receives for each member, in member order, as `args.results`. */
export interface ChordMemberOutcome {
  jobId: string;
  task: string;
  /** a non-terminal state here means the chord's deadline fired first: the member is still pending */
  state: JobState;
  result?: unknown;
  error?: ReturnType<FleetError["toJSON"]>;
  /** what the member was asked to do, for members that did not succeed (a report names what failed) */
  args?: unknown;
}

export type ReconcileOutcome<R> =
  | { outcome: "done"; result: R }
  /**
   * Proven not processed, so it may be sent again. Writes the reconciliation registered with `onCommit` still
   * commit: a batch may be partly done, and what the server proved done is recorded before the rest is re-sent.
   */
  | { outcome: "not_done"; reason: string }
  | { outcome: "unknown"; reason: string };

export interface TaskDefinition<A = unknown, R = unknown> {
  name: string;
  queue: QueueName;
  /** money-moving tasks are reconciled, never re-sent blindly */
  moneyMoving: boolean;
  /** hard limit per attempt; the signal aborts at this point */
  timeLimitMs: number;
  retry: RetryPolicy;
  /** default expiry after enqueue, ms (Celery's `expires`) */
  expiresAfterMs?: number;
  /** failures of critical tasks (escrow release, faucet claim) are flagged in alerts */
  critical?: boolean;
  args: z.ZodType<A>;
  /**
   * As a chord callback: receive `chordId` and read the members from `ctx.storage.jobs` (in pages) instead of
   * every member's outcome in `args.results` — what keeps a chord of thousands of members in constant memory.
   */
  readsMembers?: boolean;
  /** the idempotency key for a money job, derived from its args (e.g. the bet's client_seed) */
  idempotencyKey?: (args: A) => string;
  /**
   * Rate limits the run draws on. The dispatcher takes them all before `run` (all or none); a job that cannot
   * get them is deferred until the window frees up, without spending an attempt.
   */
  rateLimits?(args: A): RateLimitClaim[];
  run(ctx: TaskContext<A>): Promise<R>;
  /** required when moneyMoving: look at the server's own records to prove done or not done */
  reconcile?(ctx: TaskContext<A>): Promise<ReconcileOutcome<R>>;
}

export interface EnqueueOptions {
  priority?: number;
  /** run no earlier than this (ms since epoch) */
  dueAt?: number;
  /** absolute expiry, ms since epoch */
  expiresAt?: number;
  maxAttempts?: number;
  parentId?: string;
  canvasId?: string;
}

export interface JobFilter {
  state?: JobState | JobState[];
  queue?: QueueName;
  task?: string;
  canvasId?: string;
  parentId?: string;
  /** only jobs created by a task-augmented MCP tools/call (src/mcp/tasks.ts) */
  mcpTasks?: boolean;
  /** only jobs without a parent: a canvas is one row, its members are not listed */
  roots?: boolean;
  /**
   * jobs whose args name this agent (`agentId`, or one of `agentIds`), and canvases with a member that does (a bet
   * batch's chord lists under each agent it bets with)
   */
  agentId?: string;
  limit?: number;
  /** opaque cursor from a previous page */
  cursor?: string;
}

export interface QueueStats {
  queue: QueueName;
  concurrency: number;
  queued: number;
  running: number;
  retrying: number;
  succeeded: number;
  failed: number;
  dead: number;
  unknown: number;
  /** finished in the last minute / hour */
  throughputPerMinute: number;
  throughputPerHour: number;
  runtimeMs: { p50: number | null; p95: number | null; max: number | null };
}

/** A chord: members run in parallel; `callback` runs exactly once when all are terminal. */
export interface ChordSpec {
  members: Array<{ task: string; args: unknown; options?: EnqueueOptions }>;
  callback: { task: string; args?: unknown };
  /** the callback fires at this time even if members are still pending (they are then reported as such) */
  deadlineAt?: number;
  priority?: number;
}

export interface ChainSpec {
  /** each step receives `{ ...args, previous: <result of the step before> }` */
  steps: Array<{ task: string; args: unknown }>;
  priority?: number;
}

export interface GroupSpec {
  members: Array<{ task: string; args: unknown; options?: EnqueueOptions }>;
  priority?: number;
}

export type JobListener = (job: JobRow, event: JobEvent) => void;

export interface JobEngine {
  /** adds a task; a task named like a built-in (aggregate_bet_results) replaces it, once */
  register<A, R>(task: TaskDefinition<A, R>): void;
  /**
   * Validates args with the task's schema (INVALID_INPUT, nothing written), then persists; resolves once the job
   * is durable. With `tx`, the job is written in that transaction (a schedule slot commits with its job) and is
   * published when it commits.
   */
  enqueue(task: string, args: unknown, opts?: EnqueueOptions & { tx?: Tx }): Promise<JobRow>;
  /** a canvas and all its members in one transaction (`tx`: the caller's, published when it commits) */
  group(spec: GroupSpec, opts?: { tx?: Tx }): Promise<JobRow>;
  chord(spec: ChordSpec, opts?: { tx?: Tx }): Promise<JobRow>;
  chain(spec: ChainSpec, opts?: { tx?: Tx }): Promise<JobRow>;
  get(id: string): Promise<JobRow | undefined>;
  list(filter?: JobFilter): Promise<{ jobs: JobRow[]; nextCursor: string | null }>;
  events(jobId: string): Promise<JobEvent[]>;
  cancel(id: string, reason?: string): Promise<JobRow>;
  /** dead / failed / unknown-proven-not-done → queued again with fresh attempts */
  retry(id: string): Promise<JobRow>;
  discard(id: string): Promise<void>;
  stats(): Promise<QueueStats[]>;
  /** resolves when the job (or canvas) is terminal, or at `timeoutMs` with its current row */
  wait(id: string, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<JobRow>;
  on(listener: JobListener): () => void;
  /** begin dispatching; recovers expired leases first */
  start(): Promise<void>;
  /** stop claiming, abort running attempts after `graceMs`, release nothing that was sent */
  stop(opts?: { graceMs?: number }): Promise<void>;
}
