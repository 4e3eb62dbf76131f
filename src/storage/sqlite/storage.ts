/**
 * SQLite behind the storage seam. One connection per process, used by one transaction at a time: the body of a
 * transaction awaits only its own statements (synchronous underneath, so it never yields to the event loop for
 * long), and every other caller queues behind it. COMMIT returns without an fsync; the WAL is synced off the
 * event loop (wal-sync.ts) before any caller hears that its write happened.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { resolve } from "node:path";
import { FleetError } from "../../errors.js";
import type { Executor, Storage, Tx } from "../types.js";
import type { Checkpointer } from "./checkpointer.js";
import type { SqliteConn } from "./connection.js";
import type { WalSync } from "./wal-sync.js";

/**
 * The writer, held by one caller at a time, handed straight to the next without a turn of the event loop. One per
 * database file per process: two connections of one process on one file must not both try to write, because
 * SQLite's busy handler waits by sleeping the thread, and the holder could then never finish its transaction.
 */
class WriterLock {
  #held = false;
  readonly #waiters: Array<() => void> = [];

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#held) await new Promise<void>((resolve) => this.#waiters.push(resolve));
    else this.#held = true;
    try {
      return await fn();
    } finally {
      const next = this.#waiters.shift();
      if (next) next();
      else this.#held = false;
    }
  }
}

class SqliteTx implements Tx {
  readonly jobs;
  readonly ledger;
  readonly fleet;
  readonly schedules;
  readonly rateLimits;
  readonly taskMemory;
  readonly processes;
  readonly lanes;
  readonly #conn: SqliteConn;
  readonly #after: Array<() => void> = [];

  constructor(repos: Executor, conn: SqliteConn) {
    this.jobs = repos.jobs;
    this.ledger = repos.ledger;
    this.fleet = repos.fleet;
    this.schedules = repos.schedules;
    this.rateLimits = repos.rateLimits;
    this.taskMemory = repos.taskMemory;
    this.processes = repos.processes;
    this.lanes = repos.lanes;
    this.#conn = conn;
  }

  async savepoint<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const { db } = this.#conn;
    const inner = new SqliteTx(this, this.#conn);
    this.#conn.sql("SAVEPOINT pf_tx").run();
    let value: T;
    try {
      value = await fn(inner);
    } catch (err) {
      if (db.inTransaction) {
        this.#conn.sql("ROLLBACK TO pf_tx").run();
        this.#conn.sql("RELEASE pf_tx").run();
      }
      throw err;
    }
    this.#conn.sql("RELEASE pf_tx").run();
    this.#after.push(...inner.#after);
    return value;
  }

  afterCommit(fn: () => void): void {
    this.#after.push(fn);
  }

  runAfterCommit(): void {
    for (const fn of this.#after) fn();
  }
}

const locks = new Map<string, { lock: WriterLock; users: number }>();
/**
 * The writer held by the transaction body running here: a storage-level call from it would wait for itself. A
 * debug check, on under the test suite (or with PF_STORAGE_GUARD=1): an AsyncLocalStorage makes Node 20 run a
 * hook on every promise the process creates, ~3 % of the engine's CPU, to catch a programming error the tests
 * already catch.
 */
const holding =
  process.env.PF_STORAGE_GUARD === "1" || (process.env.VITEST !== undefined && process.env.PF_STORAGE_GUARD !== "0")
    ? new AsyncLocalStorage<WriterLock>()
    : undefined;

function lockFor(key: string): WriterLock {
  const entry = locks.get(key) ?? { lock: new WriterLock(), users: 0 };
  entry.users++;
  locks.set(key, entry);
  return entry.lock;
}

function releaseLock(key: string): void {
  const entry = locks.get(key);
  if (entry && --entry.users === 0) locks.delete(key);
}

export class SqliteStorage implements Storage {
  readonly dialect = "sqlite" as const;
  readonly location: string;
  readonly jobs;
  readonly ledger;
  readonly fleet;
  readonly schedules;
  readonly rateLimits;
  readonly taskMemory;
  readonly processes;
  readonly lanes;
  readonly #conn: SqliteConn;
  readonly #wal: WalSync | undefined;
  readonly #checkpointer: Checkpointer | undefined;
  readonly #repos: Executor;
  readonly #lock: WriterLock;
  readonly #lockKey: string;
  #closed = false;
  /**
   * Set when an fsync fails. The kernel may have dropped the pages it could not write, so nothing committed since
   * the last good sync can be trusted to be on disk; like PostgreSQL, the storage then refuses all further work
   * instead of carrying on over a hole. Restarting recovers from what is on disk (leases expire, money jobs are
   * reconciled).
   */
  #failure: FleetError | undefined;

  constructor(
    location: string,
    conn: SqliteConn,
    repos: Executor,
    durability: { wal: WalSync; checkpointer: Checkpointer } | undefined,
  ) {
    this.location = location;
    // an in-memory database is private to its connection
    this.#lockKey = location === ":memory:" ? `:memory:${Math.random()}` : resolve(location);
    this.#lock = lockFor(this.#lockKey);
    this.#conn = conn;
    this.#repos = repos;
    this.#wal = durability?.wal;
    this.#checkpointer = durability?.checkpointer;
    this.#checkpointer?.useWriterPause((fn) => this.#lock.run(fn));
    this.jobs = this.#autocommitted(repos.jobs);
    this.ledger = this.#autocommitted(repos.ledger);
    this.fleet = this.#autocommitted(repos.fleet);
    this.schedules = this.#autocommitted(repos.schedules);
    this.rateLimits = this.#autocommitted(repos.rateLimits);
    this.taskMemory = this.#autocommitted(repos.taskMemory);
    this.processes = this.#autocommitted(repos.processes);
    this.lanes = this.#autocommitted(repos.lanes);
  }

  /** fsyncs run so far (tests and the bench read it; each may have covered many commits) */
  get syncs(): number {
    return this.#wal?.syncs ?? 0;
  }

  /** the connection itself, for tests of the storage layer only (see testing.ts) */
  get connectionForTests(): SqliteConn {
    return this.#conn;
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    this.#assertUsable("storage.transaction");
    const tx = new SqliteTx(this.#repos, this.#conn);
    const conn = this.#conn;
    let commit = 0;
    const value = await this.#lock.run(async () => {
      const before = conn.totalChanges();
      conn.sql("BEGIN IMMEDIATE").run();
      try {
        const result = await (holding ? holding.run(this.#lock, () => fn(tx)) : fn(tx));
        conn.sql("COMMIT").run();
        // a transaction that changed nothing (a claim that found no due job) has nothing to sync
        if (conn.totalChanges() !== before) {
          commit = this.#wal?.noteCommit() ?? 0;
          this.#checkpointer?.poke();
        }
        return result;
      } catch (err) {
        if (conn.db.inTransaction) conn.sql("ROLLBACK").run();
        throw err;
      }
    });
    await this.#durable(commit);
    tx.runAfterCommit();
    return value;
  }

  settled(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    return this.#wal ? this.#durable(this.#wal.written) : Promise.resolve();
  }

  async databaseTime(): Promise<number> {
    return Date.now();
  }

  async #durable(commit: number): Promise<void> {
    try {
      await this.#wal?.syncThrough(commit);
    } catch (err) {
      this.#failure ??= new FleetError(
        "INTERNAL",
        `the database ${this.location} could not be synced to disk (${err instanceof Error ? err.message : String(err)}); pf-fleet stops using it`,
        {
          hint: "check the disk, then restart pf-fleet: it recovers from what is on disk and reconciles money jobs",
          cause: err,
        },
      );
      throw this.#failure;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#lock.run(async () => undefined);
    releaseLock(this.#lockKey);
    await this.#checkpointer?.close();
    await this.#wal?.close();
    this.#conn.db.close();
  }

  /** the repository as the whole storage offers it: each call alone under the writer, synced if it wrote */
  #autocommitted<R extends object>(repo: R): R {
    return new Proxy(repo, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) =>
          this.#call(`${String(prop)}`, () => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args));
      },
    });
  }

  async #call<T>(name: string, call: () => Promise<T>): Promise<T> {
    this.#assertUsable(name);
    const conn = this.#conn;
    const wal = this.#wal;
    let commit = 0;
    const value = await this.#lock.run(async () => {
      const before = conn.totalChanges();
      try {
        return await call();
      } finally {
        if (conn.totalChanges() !== before) {
          commit = wal?.noteCommit() ?? 0;
          this.#checkpointer?.poke();
        }
      }
    });
    // a write is acknowledged once durable; a read returns at once (answers to the outside await `settled`)
    if (commit > 0) await this.#durable(commit);
    return value;
  }

  #assertUsable(what: string): void {
    if (this.#failure) throw this.#failure;
    if (this.#closed) throw new Error(`${what}: the storage at ${this.location} is closed`);
    if (holding?.getStore() === this.#lock) {
      throw new Error(`${what} was called inside a transaction: use the transaction's tx, not the storage`);
    }
  }
}
