/**
 * Opens pf-fleet's storage: a SQLite file (the embedded default) or a PostgreSQL URL (a fleet of processes on several machines). Migrations run on
 * open. Everything outside src/storage/ reaches the database only through the returned `Storage`.
 */

import { openPostgresStorage } from "./postgres/open.js";
import { Checkpointer } from "./sqlite/checkpointer.js";
import { openDatabase, SqliteConn } from "./sqlite/connection.js";
import { migrateAll, sqliteRepos } from "./sqlite/repos.js";
import { SqliteStorage } from "./sqlite/storage.js";
import { WalSync } from "./sqlite/wal-sync.js";
import type { Storage } from "./types.js";

export type { Dialect, Executor, ReceiptWriter, Storage, Tx } from "./types.js";

export interface OpenStorageOptions {
  /** the database holds keys: create it 0600 in a 0700 directory (SQLite only) */
  private?: boolean;
}

export async function openStorage(location: string, opts: OpenStorageOptions = {}): Promise<Storage> {
  if (isPostgresUrl(location)) return openPostgresStorage(location);
  return openSqliteStorage(location, opts);
}

export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

export function openSqliteStorage(path: string, opts: OpenStorageOptions = {}): SqliteStorage {
  const db = openDatabase(path, { synchronous: "NORMAL", ...(opts.private ? { private: true } : {}) });
  try {
    const conn = new SqliteConn(db);
    migrateAll(conn);
    if (path === ":memory:") return new SqliteStorage(path, conn, sqliteRepos(conn), undefined);
    // checkpoints run on a thread of their own (checkpointer.ts), never inside one of this connection's COMMITs
    db.pragma("wal_autocheckpoint = 0");
    const durability = { wal: new WalSync(path), checkpointer: new Checkpointer(path) };
    return new SqliteStorage(path, conn, sqliteRepos(conn), durability);
  } catch (err) {
    db.close();
    throw err;
  }
}
