/**
 * Versioned migrations on PostgreSQL, the same bookkeeping as SQLite's (`schema_migrations`, one list per
 * module, append only). All modules migrate in one transaction under an advisory lock, so processes starting at
 * once wait for each other: one applies, the others find the versions recorded. DDL is transactional here, so a
 * migration that fails leaves nothing half-applied.
 */
import type pg from "pg";
import { ClientConn, inTransaction } from "./connection.js";

/** an arbitrary constant: the advisory lock every pf-fleet process takes to migrate */
const MIGRATION_LOCK = 0x70665f66; // "pf_f"

export async function migratePostgres(
  pool: pg.Pool,
  modules: ReadonlyArray<readonly [module: string, migrations: readonly string[]]>,
): Promise<void> {
  await inTransaction(pool, async (client) => {
    const conn = new ClientConn(client);
    await conn.run("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await conn.run(
      "CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, applied_at BIGINT NOT NULL, PRIMARY KEY (module, version))",
    );
    for (const [module, migrations] of modules) {
      const row = await conn.row<{ v: number }>(
        "SELECT COALESCE(MAX(version), 0)::int AS v FROM schema_migrations WHERE module = $1",
        [module],
      );
      for (let v = row?.v ?? 0; v < migrations.length; v++) {
        await conn.run(migrations[v] as string);
        await conn.run("INSERT INTO schema_migrations (module, version, applied_at) VALUES ($1, $2, $3)", [
          module,
          v + 1,
          Date.now(),
        ]);
      }
    }
  });
}
