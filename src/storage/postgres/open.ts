/** Opens PostgreSQL storage from a `postgres://` URL: a pool with pf-fleet's settings, migrated before use. */
import pg from "pg";
import { asStorageError, types } from "./connection.js";
import { migratePostgres } from "./migrate.js";
import { PG_MIGRATIONS } from "./repos.js";
import { PgStorage } from "./storage.js";

export interface PgOpenOptions {
  /** connections in this process's pool (default 10, or `PF_DB_POOL_MAX`) */
  poolMax?: number;
}

/** the URL for messages and logs: the password replaced */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparseable URL)";
  }
}

export async function openPostgresStorage(url: string, opts: PgOpenOptions = {}): Promise<PgStorage> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolMax ?? (Number(process.env.PF_DB_POOL_MAX) || 10),
    types,
    application_name: "pf-fleet",
    connectionTimeoutMillis: 10_000,
    // a transaction left open (a stalled process) must not hold row locks for long
    options: "-c idle_in_transaction_session_timeout=60000",
  });
  // an idle client whose connection dies emits here; without a listener the process would crash
  pool.on("error", () => undefined);
  // and a client in use may emit "error" more than once as its connection dies (the server's FATAL, then the
  // socket): the statement in flight fails with the first, a later one must not take the process down
  pool.on("connect", (client) => client.on("error", () => undefined));
  try {
    await migratePostgres(pool, PG_MIGRATIONS);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw asStorageError(err);
  }
  return new PgStorage(redactUrl(url), pool, url);
}
