/**
 * A fresh database for a test on the backend this vitest project runs on (test/support/postgres.ts): a SQLite
 * file in a temp dir, or a database of its own on the test PostgreSQL cluster. `location` is what `openStorage`
 * and `PF_DB` take. Plus raw SQL for the corner cases the seam does not offer, on either backend.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type KeyVault, openKeyVault } from "../../src/fleet/key-vault.js";
import { pgConnForTests } from "../../src/storage/postgres/testing.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";
import type { Storage } from "../../src/storage/types.js";
import { createTestDatabase, dropTestDatabase, testBackend } from "./postgres.js";

export interface TempDatabase {
  location: string;
  /** a directory the test may use for other files (always a fresh temp dir) */
  dir: string;
  remove(): Promise<void>;
}

export async function tempDatabase(prefix = "pf-test-"): Promise<TempDatabase> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const pgUrl = testBackend === "postgres" ? await createTestDatabase() : undefined;
  return {
    location: pgUrl ?? join(dir, "fleet.db"),
    dir,
    async remove() {
      if (pgUrl) await dropTestDatabase(pgUrl);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `?` placeholders, as SQLite writes them, in PostgreSQL's `$n` form */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * A write the seam does not offer, made inside a storage transaction (SQLite's storage shares its one connection
 * with it, so a bare statement could land inside the engine's own). Write the SQL both backends accept, with `?`.
 */
export async function rawRun(storage: Storage, sql: string, ...params: unknown[]): Promise<number> {
  if (storage.dialect === "postgres") return pgConnForTests(storage).run(numbered(sql), params);
  const db = sqliteDbForTests(storage);
  return storage.transaction(async () => db.prepare(sql).run(...params).changes);
}

/** rows of a read the seam does not offer, on either backend */
export async function rawRows<R>(storage: Storage, sql: string, ...params: unknown[]): Promise<R[]> {
  if (storage.dialect === "postgres") return pgConnForTests(storage).rows<R>(numbered(sql), params);
  return sqliteDbForTests(storage)
    .prepare(sql)
    .all(...params) as R[];
}

/**
 * The key vault a pf-fleet process on `location` would open (fleet/key-vault.ts): the key file beside a SQLite
 * database, or PF_SECRET_KEY (the PostgreSQL project sets one for every process it starts).
 */
export function vaultFor(location: string): KeyVault {
  return openKeyVault({
    secret: process.env.PF_SECRET_KEY,
    sqlitePath: location.startsWith("postgres") ? undefined : location,
  });
}
