import type { Firing, Schedule } from "../../../scheduler/types.js";
import { type FiringRow, type ScheduleRow, toFiring, toSchedule } from "../schedule-rows.js";
import type { PrunedFirings, ScheduleRepo, SlotClaim } from "../schedules.js";
import type { SqliteConn } from "./connection.js";

const toParams = (s: Schedule) => ({
  name: s.name,
  description: s.description,
  task: s.task,
  args: JSON.stringify(s.args),
  queue: s.queue,
  cron: s.cron,
  interval_seconds: s.intervalSeconds,
  timezone: s.timezone,
  enabled: s.enabled ? 1 : 0,
  catch_up: s.catchUp,
  expiry_seconds: s.expirySeconds,
  money: s.money ? 1 : 0,
  active_since: s.activeSince,
  origin: s.origin,
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

/** Schedules on SQLite. Every method is one statement, except `delete` and `pruneSlots` (made atomic). */
export class SqliteScheduleRepo implements ScheduleRepo {
  readonly #conn: SqliteConn;

  constructor(conn: SqliteConn) {
    this.#conn = conn;
  }

  async all(): Promise<Schedule[]> {
    return (this.#conn.sql("SELECT * FROM schedules ORDER BY created_at, name").all() as ScheduleRow[]).map(toSchedule);
  }

  async enabled(): Promise<Schedule[]> {
    return (this.#conn.sql("SELECT * FROM schedules WHERE enabled = 1 ORDER BY name").all() as ScheduleRow[]).map(
      toSchedule,
    );
  }

  async get(name: string): Promise<Schedule | undefined> {
    const row = this.#conn.sql("SELECT * FROM schedules WHERE name = ?").get(name) as ScheduleRow | undefined;
    return row && toSchedule(row);
  }

  async insertIfAbsent(schedule: Schedule): Promise<boolean> {
    const insert = this.#conn.sql(
      `INSERT INTO schedules (name, description, task, args, queue, cron, interval_seconds, timezone, enabled,
         catch_up, expiry_seconds, money, active_since, origin, created_at, updated_at)
       VALUES (@name, @description, @task, @args, @queue, @cron, @interval_seconds, @timezone, @enabled,
         @catch_up, @expiry_seconds, @money, @active_since, @origin, @created_at, @updated_at)
       ON CONFLICT (name) DO NOTHING`,
    );
    return insert.run(toParams(schedule)).changes === 1;
  }

  async update(schedule: Schedule): Promise<void> {
    this.#conn
      .sql(
        `UPDATE schedules SET args = @args, cron = @cron, interval_seconds = @interval_seconds, timezone = @timezone,
           enabled = @enabled, catch_up = @catch_up, expiry_seconds = @expiry_seconds, active_since = @active_since,
           updated_at = @updated_at
         WHERE name = @name`,
      )
      .run(toParams(schedule));
  }

  async delete(name: string): Promise<boolean> {
    const conn = this.#conn;
    return conn.atomic(() => {
      conn.sql("DELETE FROM schedule_slots WHERE name = ?").run(name);
      conn.sql("DELETE FROM schedule_manual_runs WHERE name = ?").run(name);
      return conn.sql("DELETE FROM schedules WHERE name = ?").run(name).changes === 1;
    });
  }

  async lastSlot(name: string): Promise<number | null> {
    return this.#conn.sql("SELECT MAX(slot) FROM schedule_slots WHERE name = ?").pluck().get(name) as number | null;
  }

  async claimSlot(c: SlotClaim): Promise<boolean> {
    const claim = this.#conn.sql(
      `INSERT INTO schedule_slots (name, slot, fired_at, outcome, detail) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (name, slot) DO NOTHING`,
    );
    return claim.run(c.name, c.slot, c.firedAt, c.outcome, c.detail).changes === 1;
  }

  async attachJob(name: string, slot: number, jobId: string): Promise<void> {
    this.#conn.sql("UPDATE schedule_slots SET job_id = ? WHERE name = ? AND slot = ?").run(jobId, name, slot);
  }

  async markFailed(name: string, slot: number, detail: string): Promise<void> {
    this.#conn
      .sql("UPDATE schedule_slots SET outcome = 'failed', detail = ? WHERE name = ? AND slot = ?")
      .run(detail, name, slot);
  }

  async recordManualRun(name: string, jobId: string, firedAt: number): Promise<void> {
    this.#conn
      .sql("INSERT INTO schedule_manual_runs (name, job_id, fired_at) VALUES (?, ?, ?)")
      .run(name, jobId, firedAt);
  }

  async lastFiring(name: string): Promise<Firing | null> {
    const r = this.#conn
      .sql(
        `SELECT slot, job_id, fired_at, outcome, detail, 0 AS manual FROM schedule_slots WHERE name = @name
         UNION ALL
         SELECT NULL, job_id, fired_at, 'enqueued', NULL, 1 FROM schedule_manual_runs WHERE name = @name
         ORDER BY fired_at DESC, manual DESC LIMIT 1`,
      )
      .get({ name }) as FiringRow | undefined;
    return r ? toFiring(name, r) : null;
  }

  async pruneSlots(firedBefore: number): Promise<PrunedFirings> {
    const conn = this.#conn;
    return conn.atomic(() => ({
      slots: conn
        .sql(
          `DELETE FROM schedule_slots WHERE fired_at < ?
             AND slot < (SELECT MAX(s.slot) FROM schedule_slots s WHERE s.name = schedule_slots.name)`,
        )
        .run(firedBefore).changes,
      manualRuns: conn
        .sql(
          `DELETE FROM schedule_manual_runs WHERE fired_at < ?
             AND id <> (SELECT m.id FROM schedule_manual_runs m WHERE m.name = schedule_manual_runs.name
                        ORDER BY m.fired_at DESC, m.id DESC LIMIT 1)`,
        )
        .run(firedBefore).changes,
    }));
  }
}
