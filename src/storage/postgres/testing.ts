/**
 * For tests only: a conn on the pool behind a PostgreSQL storage, to set up a corner case or read a table the
 * seam does not expose. Production code never imports this file.
 */
import type { Storage } from "../types.js";
import type { PgConn } from "./connection.js";
import { PgStorage } from "./storage.js";

export function pgConnForTests(storage: Storage): PgConn {
  if (!(storage instanceof PgStorage)) throw new Error(`not a PostgreSQL storage: ${storage.dialect}`);
  return storage.connForTests;
}
