import type { ProcessRepo, ProcessRow } from "../processes.js";
import type { PgConn } from "./connection.js";

interface Row {
  owner: string;
  host: string;
  pid: number;
  egress: string;
  mode: string;
  queues: string;
  runs_jobs: boolean;
  fires_schedules: boolean;
  heartbeat_ms: number;
  started_at: number;
  last_seen_at: number;
}

/** The fleet's processes on PostgreSQL: every method one statement. */
export class PgProcessRepo implements ProcessRepo {
  readonly #conn: PgConn;

  constructor(conn: PgConn) {
    this.#conn = conn;
  }

  async heartbeat(p: ProcessRow): Promise<void> {
    await this.#conn.run(
      `INSERT INTO processes (owner, host, pid, egress, mode, queues, runs_jobs, fires_schedules, heartbeat_ms,
         started_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (owner) DO UPDATE SET host = excluded.host, pid = excluded.pid, egress = excluded.egress,
         mode = excluded.mode, queues = excluded.queues, runs_jobs = excluded.runs_jobs,
         fires_schedules = excluded.fires_schedules, heartbeat_ms = excluded.heartbeat_ms,
         last_seen_at = excluded.last_seen_at`,
      [
        p.owner,
        p.host,
        p.pid,
        p.egress,
        p.mode,
        JSON.stringify(p.queues),
        p.runsJobs,
        p.firesSchedules,
        p.heartbeatMs,
        p.startedAt,
        p.lastSeenAt,
      ],
    );
  }

  async list(): Promise<ProcessRow[]> {
    const rows = await this.#conn.rows<Row>("SELECT * FROM processes ORDER BY started_at, owner");
    return rows.map(fromRow);
  }

  async remove(owner: string): Promise<void> {
    await this.#conn.run("DELETE FROM processes WHERE owner = $1", [owner]);
  }

  pruneSilent(before: number): Promise<number> {
    return this.#conn.run("DELETE FROM processes WHERE last_seen_at < $1", [before]);
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
    runsJobs: r.runs_jobs,
    firesSchedules: r.fires_schedules,
    heartbeatMs: r.heartbeat_ms,
    startedAt: r.started_at,
    lastSeenAt: r.last_seen_at,
  };
}
