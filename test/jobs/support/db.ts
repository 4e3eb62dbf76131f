import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStorage } from "../../../src/storage/index.js";
import type { Db } from "../../../src/storage/sqlite/connection.js";
import { sqliteDbForTests } from "../../../src/storage/sqlite/testing.js";
import type { Storage } from "../../../src/storage/types.js";

export interface TempDb {
  storage: Storage;
  /** the storage's own connection, for tests that set up or read rows the seam does not expose */
  db: Db;
  path: string;
  dir: string;
  /** another storage on the same file: a second process's view */
  open(): Storage;
  cleanup(): Promise<void>;
}

/** Storage on a real SQLite file in a fresh temp dir. */
export function tempDb(): TempDb {
  const dir = mkdtempSync(join(tmpdir(), "pf-fleet-jobs-"));
  const path = join(dir, "fleet.db");
  const storage = openSqliteStorage(path);
  const others: Storage[] = [];
  return {
    storage,
    db: sqliteDbForTests(storage),
    path,
    dir,
    open() {
      const other = openSqliteStorage(path);
      others.push(other);
      return other;
    },
    async cleanup() {
      for (const s of [storage, ...others]) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
