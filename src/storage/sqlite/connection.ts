import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import Database, { type Statement } from "better-sqlite3";

export type Db = Database.Database;

export interface OpenOptions {
  /**
   * FULL (the default for a plain database, e.g. the sandbox's): each COMMIT waits for its fsync. NORMAL: the
   * caller makes commits durable itself, off the event loop (pf-fleet's storage does, see wal-sync.ts).
   */
  synchronous?: "FULL" | "NORMAL";
  /** create the file 0600 in a 0700 directory (it holds keys) and narrow an existing one to 0600 */
  private?: boolean;
}

/**
 * Opens (creating if needed) a SQLite database in WAL mode. Several processes may share one file: WAL lets
 * readers run beside the single writer, and busy_timeout makes writers wait rather than fail.
 */
export function openDatabase(path: string, opts: OpenOptions = {}): Db {
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true, ...(opts.private ? { mode: 0o700 } : {}) });
    if (opts.private) {
      // SQLite gives the -wal and -shm files it creates the main file's mode; ones left by an older pf-fleet
      // (or a crash) keep theirs, so they are narrowed too
      closeSync(openSync(path, "a", 0o600));
      for (const file of [path, `${path}-wal`, `${path}-shm`]) {
        if (file === path || existsSync(file)) chmodSync(file, 0o600);
      }
    }
  }
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 10000");
  db.pragma(`synchronous = ${opts.synchronous ?? "FULL"}`);
  db.pragma("foreign_keys = ON");
  // Savepoint and statement journals (each completion in the engine's commit batch is a savepoint) stay in
  // memory instead of spilling to temp files.
  db.pragma("temp_store = MEMORY");
  return db;
}

/** What memdb allows a database to grow to (SQLite's SQLITE_MEMDB_DEFAULT_MAXSIZE, unchanged by better-sqlite3). */
export const MEMORY_DATABASE_MAX_BYTES = 1024 ** 3;

/**
 * A private database held in memory, gone when closed (the sandbox's default). Not `:memory:`: SQLite keeps every
 * page of such a database in its page cache, and each COMMIT walks that cache (`pcache1TruncateUnsafe`), so every
 * write got slower as the database filled: a sandbox bet cost 1.75× as much after 160,000 bets as in the first
 * 20,000 (bench/sandbox-growth.ts). A deserialized database lives in SQLite's memdb VFS instead, its pages in one
 * buffer behind a small page cache, and a commit costs the same at any size. memdb stops a database at
 * MEMORY_DATABASE_MAX_BYTES; past it a write fails with SQLITE_FULL.
 */
export function openMemoryDatabase(): Db {
  const empty = new Database(":memory:");
  const image = empty.serialize();
  empty.close();
  const db = new Database(image);
  db.pragma("foreign_keys = ON");
  db.pragma("temp_store = MEMORY");
  // A page cache of 512 KiB, not 16 MiB: each COMMIT still scans the cache, and a page not in it is only a copy
  // out of memdb's buffer (single-round runs of bench/sandbox-growth.ts were as fast or faster at every size).
  db.pragma("cache_size = -512");
  return db;
}

/**
 * Applies a module's migrations in order, once each, recorded in `schema_migrations`. Each module owns a
 * name (`jobs`, `ledger`, `fleet`, …) and appends to its list; never edit a migration that has shipped.
 * Runs inside one IMMEDIATE transaction so two processes starting together cannot both apply one.
 */
export function migrate(db: Db, module: string, migrations: readonly string[]): void {
  db.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, applied_at INTEGER NOT NULL, PRIMARY KEY (module, version))",
  );
  const apply = db.transaction(() => {
    const row = db
      .prepare("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations WHERE module = ?")
      .get(module) as { v: number };
    for (let v = row.v; v < migrations.length; v++) {
      db.exec(migrations[v] as string);
      db.prepare("INSERT INTO schema_migrations (module, version, applied_at) VALUES (?, ?, ?)").run(
        module,
        v + 1,
        Date.now(),
      );
    }
  });
  apply.immediate();
}

/**
 * `LIMIT n` as literal SQL, for a statement run often. SQLite plans around the value of a bound LIMIT, so binding
 * that parameter (better-sqlite3 binds every parameter on every run) sends the statement back to be parsed and
 * compiled again on each run: ~10 µs for a claim's query. A literal keeps one compiled statement per distinct n,
 * so n must come from a small set (a slot count, a fixed page), never from user paging.
 */
export function limitSql(n: number): string {
  if (!Number.isSafeInteger(n)) throw new TypeError(`a LIMIT must be an integer, got ${n}`);
  return `LIMIT ${n}`;
}

/**
 * One connection as the repositories see it: statements compiled once per SQL text, and `atomic` for a method
 * that runs several statements (a savepoint inside the caller's transaction, else its own IMMEDIATE one).
 * Repositories never begin or commit the outer transaction; the storage does.
 */
export class SqliteConn {
  readonly db: Db;
  readonly #statements = new Map<string, Statement>();

  constructor(db: Db) {
    this.db = db;
  }

  /** `db.prepare(text)`, compiled once */
  sql(text: string): Statement {
    let statement = this.#statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.#statements.set(text, statement);
    }
    return statement;
  }

  atomic<T>(fn: () => T): T {
    const nested = this.db.inTransaction;
    this.sql(nested ? "SAVEPOINT pf_atomic" : "BEGIN IMMEDIATE").run();
    try {
      const value = fn();
      this.sql(nested ? "RELEASE pf_atomic" : "COMMIT").run();
      return value;
    } catch (err) {
      // SQLite may already have rolled the whole transaction back itself (e.g. on SQLITE_FULL)
      if (this.db.inTransaction) {
        if (nested) {
          this.sql("ROLLBACK TO pf_atomic").run();
          this.sql("RELEASE pf_atomic").run();
        } else {
          this.sql("ROLLBACK").run();
        }
      }
      throw err;
    }
  }

  /** rows changed by this connection since it opened (a call that moved it wrote something to sync) */
  totalChanges(): number {
    return this.sql("SELECT total_changes()").pluck().get() as number;
  }
}
