/**
 * The fleet's processes (src/storage/processes.ts) on PostgreSQL, module `processes`: SQLite's schema. Append-only:
 * never edit a shipped migration.
 */
export const PG_PROCESS_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE processes (
    owner           TEXT    COLLATE "C" PRIMARY KEY,
    host            TEXT    NOT NULL,
    pid             INTEGER NOT NULL,
    egress          TEXT    NOT NULL,
    mode            TEXT    NOT NULL,
    -- JSON text: { queue: concurrency }
    queues          TEXT    NOT NULL,
    runs_jobs       BOOLEAN NOT NULL,
    fires_schedules BOOLEAN NOT NULL,
    heartbeat_ms    INTEGER NOT NULL,
    started_at      BIGINT  NOT NULL,
    last_seen_at    BIGINT  NOT NULL
  );
  CREATE INDEX processes_last_seen ON processes (last_seen_at);
  `,
];
