/**
 * PostgreSQL behind the storage seam: one pool per process, shared by every process (and machine) on the
 * database. A storage-level repository call runs on the pool (each statement commits on its own, a multi-statement
 * method in a transaction of its own); `transaction` holds one client for its body. A COMMIT that returned is
 * durable (`synchronous_commit` on), so `settled()` has nothing to wait for.
 */
import type pg from "pg";
import type { Executor, Storage, Tx } from "../types.js";
import { ClientConn, inTransaction, type PgConn, PoolConn } from "./connection.js";
import { JobsListener } from "./listener.js";
import { postgresRepos } from "./repos.js";

class PgTx implements Tx {
  readonly jobs;
  readonly ledger;
  readonly fleet;
  readonly schedules;
  readonly rateLimits;
  readonly taskMemory;
  readonly processes;
  readonly lanes;
  readonly #conn: ClientConn;
  readonly #after: Array<() => void> = [];
  #savepoints = 0;

  constructor(conn: ClientConn, repos: Executor = postgresRepos(conn)) {
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
    const inner = new PgTx(this.#conn, this);
    const name = `pf_tx_${++this.#savepoints}`;
    await this.#conn.run(`SAVEPOINT ${name}`);
    try {
      const value = await fn(inner);
      await this.#conn.run(`RELEASE SAVEPOINT ${name}`);
      this.#after.push(...inner.#after);
      return value;
    } catch (err) {
      await this.#conn.run(`ROLLBACK TO SAVEPOINT ${name}`);
      await this.#conn.run(`RELEASE SAVEPOINT ${name}`);
      throw err;
    } finally {
      this.#savepoints--;
    }
  }

  afterCommit(fn: () => void): void {
    this.#after.push(fn);
  }

  runAfterCommit(): void {
    for (const fn of this.#after) fn();
  }
}

export class PgStorage implements Storage {
  readonly dialect = "postgres" as const;
  readonly location: string;
  readonly jobs;
  readonly ledger;
  readonly fleet;
  readonly schedules;
  readonly rateLimits;
  readonly taskMemory;
  readonly processes;
  readonly lanes;
  readonly #pool: pg.Pool;
  readonly #conn: PoolConn;
  readonly #listener: JobsListener;
  #closed = false;

  constructor(location: string, pool: pg.Pool, url: string) {
    this.location = location;
    this.#pool = pool;
    this.#listener = new JobsListener(url);
    this.#conn = new PoolConn(pool);
    const repos = postgresRepos(this.#conn);
    this.jobs = repos.jobs;
    this.ledger = repos.ledger;
    this.fleet = repos.fleet;
    this.schedules = repos.schedules;
    this.rateLimits = repos.rateLimits;
    this.taskMemory = repos.taskMemory;
    this.processes = repos.processes;
    this.lanes = repos.lanes;
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error(`storage.transaction: the storage at ${this.location} is closed`);
    const { value, tx } = await inTransaction(this.#pool, async (client) => {
      const conn = new ClientConn(client);
      const tx = new PgTx(conn);
      const value = await fn(tx);
      await conn.flushNotifications();
      return { value, tx };
    });
    tx.runAfterCommit();
    return value;
  }

  settled(): Promise<void> {
    return Promise.resolve();
  }

  onJobsAvailable(listener: (queue: string) => void): () => void {
    return this.#listener.subscribe(listener);
  }

  async databaseTime(): Promise<number> {
    const row = await this.#conn.row<{ now: number }>(
      "SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now",
    );
    return row?.now as number;
  }

  /** the pool as a conn, for tests of the storage layer only (see testing.ts) */
  get connForTests(): PgConn {
    return this.#conn;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#listener.close();
    await this.#pool.end();
  }
}
