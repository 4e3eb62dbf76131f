/**
 * For tests only: the raw SQLite handle behind a storage, to set up a corner case or read a table the seam does
 * not expose. Production code never imports this file.
 */
import type { Storage } from "../types.js";
import type { Db } from "./connection.js";
import { SqliteStorage } from "./storage.js";

export function sqliteDbForTests(storage: Storage): Db {
  if (!(storage instanceof SqliteStorage)) throw new Error(`not a SQLite storage: ${storage.dialect}`);
  return storage.connectionForTests.db;
}
