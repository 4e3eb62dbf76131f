/**
 * Every repository on one PostgreSQL conn (the pool, or a transaction's client), and every module's migrations.
 * The modules and their order are SQLite's; PostgreSQL's lists start from the current schema (there is no older
 * PostgreSQL database to carry forward). Append only: never edit a migration that has shipped.
 */
import type { Executor } from "../types.js";
import type { PgConn } from "./connection.js";
import { PgFleetRepo } from "./fleet.js";
import { PG_FLEET_MIGRATIONS } from "./fleet-schema.js";
import { PgJobRepo } from "./jobs.js";
import { PG_JOBS_MIGRATIONS } from "./jobs-schema.js";
import { PG_LANE_MIGRATIONS, PgLaneRepo } from "./lanes.js";
import { PgLedgerRepo } from "./ledger.js";
import { PG_LEDGER_MIGRATIONS } from "./ledger-schema.js";
import { PgProcessRepo } from "./processes.js";
import { PG_PROCESS_MIGRATIONS } from "./processes-schema.js";
import { PG_RATE_LIMIT_MIGRATIONS, PgRateLimitRepo } from "./rate-limits.js";
import { PgScheduleRepo } from "./schedules.js";
import { PG_SCHEDULES_MIGRATIONS } from "./schedules-schema.js";
import { PgTaskMemoryRepo } from "./task-memory.js";
import { PG_TASK_MEMORY_MIGRATIONS } from "./task-memory-schema.js";

export const PG_MIGRATIONS: ReadonlyArray<readonly [module: string, migrations: readonly string[]]> = [
  ["ledger", PG_LEDGER_MIGRATIONS],
  ["fleet", PG_FLEET_MIGRATIONS],
  ["jobs", PG_JOBS_MIGRATIONS],
  ["scheduler", PG_SCHEDULES_MIGRATIONS],
  ["tasks", PG_TASK_MEMORY_MIGRATIONS],
  ["rate_limits", PG_RATE_LIMIT_MIGRATIONS],
  ["processes", PG_PROCESS_MIGRATIONS],
  ["lanes", PG_LANE_MIGRATIONS],
];

export function postgresRepos(conn: PgConn): Executor {
  return {
    jobs: new PgJobRepo(conn),
    rateLimits: new PgRateLimitRepo(conn),
    ledger: new PgLedgerRepo(conn),
    fleet: new PgFleetRepo(conn),
    schedules: new PgScheduleRepo(conn),
    taskMemory: new PgTaskMemoryRepo(conn),
    processes: new PgProcessRepo(conn),
    lanes: new PgLaneRepo(conn),
  };
}
