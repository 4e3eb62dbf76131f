import type { ProcessRepo, ProcessRow } from "../processes.js";
import type { SqliteConn } from "./connection.js";

interface Row {
  owner: string;
  host: string;
  pid: number;
  egress: string;
  mode: string;
  queues: string;
  runs_jobs: number;
  fires_schedules: number;
  heartbeat_ms: number;
  started_at: number;
  last_seen_at: number;
}

/** The fleet's processes on SQLite: every method one statement. */
export class SqliteProcessRepo implements ProcessRepo {
  readonly #conn: SqliteConn;

  constructor(conn: SqliteConn) {
    this.#conn = conn;
  }

  async heartbeat(p: ProcessRow): Promise<void> {
    this.#conn
      .sql(
        `INSERT INTO processes (owner, host, pid, egress, mode, queues, runs_jobs, fires_schedules, heartbeat_ms,
           started_at, last_seen_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (owner) DO UPDATE SET host = excluded.host, pid = excluded.pid, egress = excluded.egress,
           mode = excluded.mode, queues = excluded.queues, runs_jobs = excluded.runs_jobs,
           fires_schedules = excluded.fires_schedules, heartbeat_ms = excluded.heartbeat_ms,
           last_seen_at = excluded.last_seen_at`,
      )
      .run(
        p.owner,
        p.host,
        p.pid,
        p.egress,
        p.mode,
        JSON.stringify(p.queues),
        p.runsJobs ? 1 : 0,
        p.firesSchedules ? 1 : 0,
        p.heartbeatMs,
        p.startedAt,
        p.lastSeenAt,
      );
  }

  async list(): Promise<ProcessRow[]> {
    const rows = this.#conn.sql("SELECT * FROM processes ORDER BY started_at, owner").all() as Row[];
    return rows.map(fromRow);
  }

  async remove(owner: string): Promise<void> {
    this.#conn.sql("DELETE FROM processes WHERE owner = ?").run(owner);
  }

  async pruneSilent(before: number): Promise<number> {
    return this.#conn.sql("DELETE FROM processes WHERE last_seen_at < ?").run(before).changes;
  }
}

function fromRow(r: Row): ProcessRow {
  return {
    owner: r.owner,
    host: r.host,
    pid: r.pid,
    egress: r.egress,
    mode: r.mode,
    queues: JSON.parse(r.queues),
    runsJobs: r.runs_jobs === 1,
    firesSchedules: r.fires_schedules === 1,
    heartbeatMs: r.heartbeat_ms,
    startedAt: r.started_at,
    lastSeenAt: r.last_seen_at,
  };
}
