import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export type Db = Database.Database;

/**
 * Opens (creating if needed) a SQLite database in WAL mode. Several pf-fleet processes may share one file:
 * WAL lets readers run beside the single writer, and busy_timeout makes writers wait rather than fail.
 * synchronous=FULL so a committed money intent survives power loss, not only a process crash; the job engine
 * keeps that affordable by committing in groups.
 */
export function openDatabase(path: string): Db {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  db.pragma("busy_timeout = 10000");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = ON");
  // Savepoint and statement journals (each completion in the engine's commit batch is a savepoint) stay in
  // memory instead of spilling to temp files; commits still go to the WAL with their fsync.
  db.pragma("temp_store = MEMORY");
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
