/**
 * PostgreSQL as the repositories see it: `PgConn`, a way to run statements that is either the pool (each call
 * its own transaction) or one client inside a transaction. Repositories never begin or commit the outer
 * transaction; the storage does. Integers come back as JS numbers (see `types`), never as strings.
 */
import pg from "pg";
import { FleetError } from "../../errors.js";
import { sqlState } from "../errors.js";

/** One statement's parameters: `$1`, `$2`, … in order. */
export type Params = readonly unknown[];

export interface PgConn {
  /** true on a transaction's client: reads that precede a write there lock their rows (FOR UPDATE) */
  readonly inTransaction: boolean;
  /** every row of one statement */
  rows<R>(text: string, params?: Params): Promise<R[]>;
  /** the first row, or undefined */
  row<R>(text: string, params?: Params): Promise<R | undefined>;
  /** rows the statement changed */
  run(text: string, params?: Params): Promise<number>;
  /**
   * Several statements as one atomic unit: a savepoint inside the caller's transaction, else a transaction of its
   * own on one client. `fn` must run its statements on the conn it is given.
   */
  atomic<T>(fn: (conn: PgConn) => Promise<T>): Promise<T>;
  /** jobs of `queue` may be claimable once this commits: other processes are woken (LISTEN/NOTIFY) */
  jobsAvailable(queue: string): void;
}

/** the channel every process LISTENs on; the payload is a queue name */
export const JOBS_CHANNEL = "pf_jobs";

const INT8 = 20;
const NUMERIC = 1700;

/** BIGINT (ms times, micro-USD) as a number; one beyond 2^53 would lose money silently, so it throws */
function parseSafeInteger(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new RangeError(`integer ${text} from PostgreSQL is beyond 2^53`);
  return n;
}

/** the pool's own type parsers, so nothing else in the process that uses `pg` is changed */
export const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (format !== "binary") {
      if (oid === INT8) return parseSafeInteger;
      // SUM(bigint) is NUMERIC; the repositories cast sums back to BIGINT, AVG and the like are plain numbers
      if (oid === NUMERIC) return Number;
    }
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

type Queryable = Pick<pg.PoolClient, "query">;

const names = new Map<string, string>();
/** a named statement is parsed and planned once per connection, not on every call */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `pf_${names.size + 1}`;
    names.set(text, name);
  }
  return name;
}

async function runQuery(q: Queryable, text: string, params: Params | undefined): Promise<pg.QueryResult> {
  try {
    if (params === undefined) return await q.query(text);
    return await q.query({ name: statementName(text), text, values: params as unknown[] });
  } catch (err) {
    throw asStorageError(err);
  }
}

/** a client inside a transaction: `atomic` is a savepoint */
export class ClientConn implements PgConn {
  readonly inTransaction = true;
  readonly client: Queryable;
  #savepoints = 0;
  readonly #wake = new Set<string>();

  constructor(client: Queryable) {
    this.client = client;
  }

  async rows<R>(text: string, params?: Params): Promise<R[]> {
    return (await runQuery(this.client, text, params)).rows as R[];
  }

  async row<R>(text: string, params?: Params): Promise<R | undefined> {
    return (await runQuery(this.client, text, params)).rows[0] as R | undefined;
  }

  async run(text: string, params?: Params): Promise<number> {
    return (await runQuery(this.client, text, params)).rowCount ?? 0;
  }

  jobsAvailable(queue: string): void {
    this.#wake.add(queue);
  }

  /** sends the notifications this transaction owes, just before its COMMIT (NOTIFY is delivered on commit) */
  async flushNotifications(): Promise<void> {
    if (this.#wake.size === 0) return;
    const queues = [...this.#wake];
    this.#wake.clear();
    await this.run(`SELECT pg_notify('${JOBS_CHANNEL}', q) FROM unnest($1::text[]) AS q`, [queues]);
  }

  async atomic<T>(fn: (conn: PgConn) => Promise<T>): Promise<T> {
    const name = `pf_atomic_${++this.#savepoints}`;
    await this.run(`SAVEPOINT ${name}`);
    try {
      const value = await fn(this);
      await this.run(`RELEASE SAVEPOINT ${name}`);
      return value;
    } catch (err) {
      await this.run(`ROLLBACK TO SAVEPOINT ${name}`);
      await this.run(`RELEASE SAVEPOINT ${name}`);
      throw err;
    } finally {
      this.#savepoints--;
    }
  }
}

/** the pool: each statement commits on its own; `atomic` checks out a client for one transaction */
export class PoolConn implements PgConn {
  readonly inTransaction = false;
  readonly pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  async rows<R>(text: string, params?: Params): Promise<R[]> {
    return (await runQuery(this.pool, text, params)).rows as R[];
  }

  async row<R>(text: string, params?: Params): Promise<R | undefined> {
    return (await runQuery(this.pool, text, params)).rows[0] as R | undefined;
  }

  async run(text: string, params?: Params): Promise<number> {
    return (await runQuery(this.pool, text, params)).rowCount ?? 0;
  }

  atomic<T>(fn: (conn: PgConn) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, async (client) => {
      const conn = new ClientConn(client);
      const value = await fn(conn);
      await conn.flushNotifications();
      return value;
    });
  }

  jobsAvailable(queue: string): void {
    // a wake-up is a hint (the poll finds the job anyway): a failure to send it is not worth an error
    this.run(`SELECT pg_notify('${JOBS_CHANNEL}', $1)`, [queue]).catch(() => undefined);
  }
}

/**
 * Runs `fn` in one transaction on one client, committing if it returns. A deadlock or serialization failure is
 * thrown, not retried here: a caller may have done work beside the transaction that it undoes when it fails (the
 * dispatcher counts claimed slots), so only the caller can run it again (see `isTransientConflict` in ../errors.ts).
 */
export async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw asStorageError(err);
  }
  let broken: unknown;
  // a checked-out client whose connection dies emits "error"; unheard, it would crash the process (the statement
  // in flight fails on its own, and the client is thrown away below)
  const onError = (err: Error) => {
    broken = err;
  };
  client.on("error", onError);
  try {
    await runQuery(client, "BEGIN", undefined);
    let value: T;
    try {
      value = await fn(client);
    } catch (err) {
      await client.query("ROLLBACK").catch((rollbackErr: unknown) => {
        broken = rollbackErr;
      });
      throw err;
    }
    try {
      await client.query("COMMIT");
    } catch (err) {
      broken = err;
      throw commitError(err);
    }
    return value;
  } finally {
    client.off("error", onError);
    // a client whose connection failed is thrown away, never handed to the next caller
    client.release(broken instanceof Error ? broken : undefined);
  }
}

/** connection-level failures: the server is down, restarting, or the connection dropped */
function isConnectionFailure(err: unknown): boolean {
  const code = sqlState(err);
  if (!code)
    return (
      err instanceof Error &&
      /Connection terminated|connect ECONN|timeout exceeded when trying to connect/i.test(err.message)
    );
  return (
    code.startsWith("08") || // connection_exception
    code === "57P01" || // admin_shutdown
    code === "57P02" || // crash_shutdown
    code === "57P03" || // cannot_connect_now (starting up)
    code === "53300" || // too_many_connections
    ["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EHOSTUNREACH"].includes(code)
  );
}

const UNAVAILABLE_HINT =
  "PostgreSQL is down or unreachable; pf-fleet retries by itself once it is back (check PF_DB and the server)";

/** a failure of the database itself becomes STORAGE_UNAVAILABLE; anything else is passed on as it is */
export function asStorageError(err: unknown): unknown {
  if (err instanceof FleetError || !isConnectionFailure(err)) return err;
  return new FleetError("STORAGE_UNAVAILABLE", `the database is unavailable: ${(err as Error).message}`, {
    hint: UNAVAILABLE_HINT,
    // whether a statement in flight ran is unknown: money code reconciles before it sends again
    kind: "ambiguous",
    cause: err,
  });
}

/**
 * A COMMIT that failed on the connection may or may not have committed: the caller cannot know. Money code treats
 * it like a lost answer (the job's lease runs out and the job is reconciled, never re-sent).
 */
function commitError(err: unknown): unknown {
  if (!isConnectionFailure(err)) return err;
  return new FleetError("STORAGE_UNAVAILABLE", `the connection was lost during COMMIT: ${(err as Error).message}`, {
    hint: `${UNAVAILABLE_HINT}; whether this commit landed is unknown, and pf-fleet reconciles it`,
    kind: "ambiguous",
    details: { commitOutcome: "unknown" },
    cause: err,
  });
}
