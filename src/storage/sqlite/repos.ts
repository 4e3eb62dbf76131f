/**
 * Every repository on one SQLite connection, and every module's migrations. Each module keeps its own migration
 * list (append only: never edit one that has shipped), applied in this order on open.
 */
import type { Executor } from "../types.js";
import { migrate, type SqliteConn } from "./connection.js";
import { SqliteFleetRepo } from "./fleet.js";
import { FLEET_MIGRATIONS } from "./fleet-schema.js";
import { SqliteJobRepo } from "./jobs.js";
import { JOBS_MIGRATIONS } from "./jobs-schema.js";
import { LANE_MIGRATIONS, SqliteLaneRepo } from "./lanes.js";
import { SqliteLedgerRepo } from "./ledger.js";
import { LEDGER_MIGRATIONS } from "./ledger-schema.js";
import { SqliteProcessRepo } from "./processes.js";
import { PROCESS_MIGRATIONS } from "./processes-schema.js";
import { RATE_LIMIT_MIGRATIONS, SqliteRateLimitRepo } from "./rate-limits.js";
import { SqliteScheduleRepo } from "./schedules.js";
import { SCHEDULES_MIGRATIONS } from "./schedules-schema.js";
import { SqliteTaskMemoryRepo } from "./task-memory.js";
import { TASK_MEMORY_MIGRATIONS } from "./task-memory-schema.js";

const MIGRATIONS: ReadonlyArray<readonly [module: string, migrations: readonly string[]]> = [
  // first, as server.ts migrated the ledger before the fleet and the job engine
  ["ledger", LEDGER_MIGRATIONS],
  ["fleet", FLEET_MIGRATIONS],
  ["jobs", JOBS_MIGRATIONS],
  ["scheduler", SCHEDULES_MIGRATIONS],
  ["tasks", TASK_MEMORY_MIGRATIONS],
  ["rate_limits", RATE_LIMIT_MIGRATIONS],
  ["processes", PROCESS_MIGRATIONS],
  ["lanes", LANE_MIGRATIONS],
];

export function migrateAll(conn: SqliteConn): void {
  for (const [module, migrations] of MIGRATIONS) migrate(conn.db, module, migrations);
}

export function sqliteRepos(conn: SqliteConn): Executor {
  return {
    jobs: new SqliteJobRepo(conn),
    rateLimits: new SqliteRateLimitRepo(conn),
    ledger: new SqliteLedgerRepo(conn),
    fleet: new SqliteFleetRepo(conn),
    schedules: new SqliteScheduleRepo(conn),
    taskMemory: new SqliteTaskMemoryRepo(conn),
    processes: new SqliteProcessRepo(conn),
    lanes: new SqliteLaneRepo(conn),
  };
}
