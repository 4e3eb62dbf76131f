/**
 * Every repository on one SQLite connection, and every module's migrations. Each module keeps its own migration
 * list (append only: never edit one that has shipped), applied in this order on open.
 */
import type { Executor } from "../types.js";
import { migrate, type SqliteConn } from "./connection.js";
import { SqliteJobRepo } from "./jobs.js";
import { JOBS_MIGRATIONS } from "./jobs-schema.js";
import { RATE_LIMIT_MIGRATIONS, SqliteRateLimitRepo } from "./rate-limits.js";

const MIGRATIONS: ReadonlyArray<readonly [module: string, migrations: readonly string[]]> = [
  ["jobs", JOBS_MIGRATIONS],
  ["rate_limits", RATE_LIMIT_MIGRATIONS],
];

export function migrateAll(conn: SqliteConn): void {
  for (const [module, migrations] of MIGRATIONS) migrate(conn.db, module, migrations);
}

export function sqliteRepos(conn: SqliteConn): Executor {
  return {
    jobs: new SqliteJobRepo(conn),
    rateLimits: new SqliteRateLimitRepo(conn),
    ledger: {},
    fleet: {},
    schedules: {},
    taskMemory: {},
  };
}
