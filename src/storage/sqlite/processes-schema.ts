/** The fleet's processes (src/storage/processes.ts), module `processes`. Append-only: never edit a shipped one. */
export const PROCESS_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE processes (
    owner           TEXT    PRIMARY KEY,
    host            TEXT    NOT NULL,
    pid             INTEGER NOT NULL,
    egress          TEXT    NOT NULL,
    mode            TEXT    NOT NULL,
    -- JSON: { queue: concurrency }
    queues          TEXT    NOT NULL,
    runs_jobs       INTEGER NOT NULL,
    fires_schedules INTEGER NOT NULL,
    heartbeat_ms    INTEGER NOT NULL,
    started_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX processes_last_seen ON processes (last_seen_at);
  `,
];
