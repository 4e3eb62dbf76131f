import type { Statement } from "better-sqlite3";
import type { Db } from "../db.js";

const cache = new WeakMap<Db, Map<string, Statement>>();

/**
 * `db.prepare(sql)`, compiled once per connection: the ledger's writers run inside hot transactions (a bet's
 * receipt commits with its job), where compiling the same SQL again on every call shows up in profiles.
 */
export function prepared(db: Db, sql: string): Statement {
  let statements = cache.get(db);
  if (!statements) {
    statements = new Map();
    cache.set(db, statements);
  }
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}
