/**
 * The storage seam: everything pf-fleet persists goes through it, and nothing outside `src/storage/` holds a
 * database handle. The shape follows River's driver: an `Executor` (the repositories) that the whole `Storage`
 * offers (each call its own atomic unit) and that a transaction's `Tx` offers too (every call inside that one
 * transaction). Every method is async, so a backend may run its statements on another thread or another machine.
 *
 * Rules a caller relies on:
 * - a promise that resolves after a write means the write is durable (SQLite: the WAL is synced; PostgreSQL:
 *   the commit returned). Money is sent only after that; answers are given after `settled()`.
 * - a transaction body awaits only `tx` calls: no network, no timers. It holds the writer while it runs.
 * - `afterCommit` work runs once the outermost transaction is durable, never after a rollback.
 */
import type { FleetRepo } from "./fleet.js";
import type { JobRepo } from "./jobs.js";
import type { LaneRepo } from "./lanes.js";
import type { LedgerRepo } from "./ledger.js";
import type { ProcessRepo } from "./processes.js";
import type { RateLimitRepo } from "./rate-limits.js";
import type { ScheduleRepo } from "./schedules.js";
import type { TaskMemoryRepo } from "./task-memory.js";

export interface Executor {
  readonly jobs: JobRepo;
  readonly ledger: LedgerRepo;
  readonly fleet: FleetRepo;
  readonly schedules: ScheduleRepo;
  readonly rateLimits: RateLimitRepo;
  readonly taskMemory: TaskMemoryRepo;
  readonly processes: ProcessRepo;
  readonly lanes: LaneRepo;
}

/** One write transaction in progress. */
export interface Tx extends Executor {
  /** runs `fn` in a nested savepoint: if it throws, only its writes (and its afterCommit work) are undone */
  savepoint<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** runs `fn` once the outermost transaction has committed durably; dropped if it (or this savepoint) rolls back */
  afterCommit(fn: () => void): void;
}

/**
 * What a money job's success may write with it, in its own transaction (River's `JobCompleteTx`): the ledger and
 * the tasks' memory, nothing else, and no handle to the database.
 */
export type ReceiptWriter = Pick<Tx, "ledger" | "taskMemory">;

export type Dialect = "sqlite" | "postgres";

export interface Storage extends Executor {
  readonly dialect: Dialect;
  /** the file path or URL, for messages (never holds a password) */
  readonly location: string;
  /** one write transaction; resolves with `fn`'s value once the commit is durable */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Resolves once every commit this process has made so far is durable. A read returns what is committed, which
   * for a moment may not be on disk yet; whatever answers the outside world (an MCP result, a resource, a job's
   * state to a waiter) awaits this first, so nobody is told of a state that a crash could still take back.
   */
  settled(): Promise<void>;
  /**
   * The database server's clock, ms since the epoch. Processes on several machines share one database; its clock
   * is the one they agree on for leases, due times and rate windows (see src/jobs/database-clock.ts). SQLite lives
   * on this machine, so there it is this machine's clock.
   */
  databaseTime(): Promise<number>;
  /**
   * Calls `listener` with a queue's name when another process (or this one) commits a job that is claimable now
   * in that queue, or with "*" when some may have been missed. Optional: without it (SQLite) processes poll.
   * Returns the unsubscribe function.
   */
  onJobsAvailable?(listener: (queue: string) => void): () => void;
  close(): Promise<void>;
}
