import type { Firing, Schedule } from "../../../scheduler/types.js";
import { type FiringRow, type ScheduleRow, toFiring, toSchedule } from "../schedule-rows.js";
import type { PrunedFirings, ScheduleRepo, SlotClaim } from "../schedules.js";
import type { PgConn } from "./connection.js";

/**
 * Schedules on PostgreSQL. Every method is one statement, except `delete` and `pruneSlots` (made atomic). Names are
 * COLLATE "C" (schedules-schema.ts), so they sort as on SQLite.
 */
export class PgScheduleRepo implements ScheduleRepo {
  readonly #conn: PgConn;

  constructor(conn: PgConn) {
    this.#conn = conn;
  }

  async all(): Promise<Schedule[]> {
    const rows = await this.#conn.rows<ScheduleRow>(`SELECT * FROM schedules ORDER BY created_at, name`);
    return rows.map(toSchedule);
  }

  async enabled(): Promise<Schedule[]> {
    const rows = await this.#conn.rows<ScheduleRow>(`SELECT * FROM schedules WHERE enabled ORDER BY name`);
    return rows.map(toSchedule);
  }

  async get(name: string): Promise<Schedule | undefined> {
    // in a transaction the read precedes a write (a firing's claim, a change, a delete): lock the row, so those
    // take turns on one schedule and a firing never claims a slot of a schedule being deleted
    const lock = this.#conn.inTransaction ? " FOR UPDATE" : "";
    const row = await this.#conn.row<ScheduleRow>(`SELECT * FROM schedules WHERE name = $1${lock}`, [name]);
    return row && toSchedule(row);
  }

  async insertIfAbsent(s: Schedule): Promise<boolean> {
    const inserted = await this.#conn.run(
      `INSERT INTO schedules (name, description, task, args, queue, cron, interval_seconds, timezone, enabled,
         catch_up, expiry_seconds, money, active_since, created_at, updated_at, origin)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (name) DO NOTHING`,
      [
        s.name,
        s.description,
        s.task,
        JSON.stringify(s.args),
        s.queue,
        s.cron,
        s.intervalSeconds,
        s.timezone,
        s.enabled,
        s.catchUp,
        s.expirySeconds,
        s.money,
        s.activeSince,
        s.createdAt,
        s.updatedAt,
        s.origin,
      ],
    );
    return inserted === 1;
  }

  async update(s: Schedule): Promise<void> {
    await this.#conn.run(
      `UPDATE schedules SET args = $2, cron = $3, interval_seconds = $4, timezone = $5, enabled = $6, catch_up = $7,
         expiry_seconds = $8, active_since = $9, updated_at = $10
       WHERE name = $1`,
      [
        s.name,
        JSON.stringify(s.args),
        s.cron,
        s.intervalSeconds,
        s.timezone,
        s.enabled,
        s.catchUp,
        s.expirySeconds,
        s.activeSince,
        s.updatedAt,
      ],
    );
  }

  async delete(name: string): Promise<boolean> {
    return this.#conn.atomic(async (c) => {
      await c.run("DELETE FROM schedule_slots WHERE name = $1", [name]);
      await c.run("DELETE FROM schedule_manual_runs WHERE name = $1", [name]);
      return (await c.run("DELETE FROM schedules WHERE name = $1", [name])) === 1;
    });
  }

  async lastSlot(name: string): Promise<number | null> {
    const row = await this.#conn.row<{ slot: number | null }>(
      "SELECT MAX(slot) AS slot FROM schedule_slots WHERE name = $1",
      [name],
    );
    return row?.slot ?? null;
  }

  async claimSlot(c: SlotClaim): Promise<boolean> {
    // a racing claim's insert waits for the first to commit (or roll back), then does nothing (or inserts)
    const claimed = await this.#conn.run(
      `INSERT INTO schedule_slots (name, slot, fired_at, outcome, detail) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (name, slot) DO NOTHING`,
      [c.name, c.slot, c.firedAt, c.outcome, c.detail],
    );
    return claimed === 1;
  }

  async attachJob(name: string, slot: number, jobId: string): Promise<void> {
    await this.#conn.run("UPDATE schedule_slots SET job_id = $1 WHERE name = $2 AND slot = $3", [jobId, name, slot]);
  }

  async markFailed(name: string, slot: number, detail: string): Promise<void> {
    await this.#conn.run("UPDATE schedule_slots SET outcome = 'failed', detail = $1 WHERE name = $2 AND slot = $3", [
      detail,
      name,
      slot,
    ]);
  }

  async recordManualRun(name: string, jobId: string, firedAt: number): Promise<void> {
    await this.#conn.run("INSERT INTO schedule_manual_runs (name, job_id, fired_at) VALUES ($1, $2, $3)", [
      name,
      jobId,
      firedAt,
    ]);
  }

  async lastFiring(name: string): Promise<Firing | null> {
    // ties at one instant as SQLite breaks them: a manual run over a slot, the lowest slot, the latest manual run
    const r = await this.#conn.row<FiringRow>(
      `SELECT slot, job_id, fired_at, outcome, detail, false AS manual, NULL::bigint AS id
         FROM schedule_slots WHERE name = $1
       UNION ALL
       SELECT NULL, job_id, fired_at, 'enqueued', NULL, true, id FROM schedule_manual_runs WHERE name = $1
       ORDER BY fired_at DESC, manual DESC, slot, id DESC LIMIT 1`,
      [name],
    );
    return r ? toFiring(name, r) : null;
  }

  async pruneSlots(firedBefore: number): Promise<PrunedFirings> {
    return this.#conn.atomic(async (c) => ({
      slots: await c.run(
        `DELETE FROM schedule_slots WHERE fired_at < $1
           AND slot < (SELECT MAX(s.slot) FROM schedule_slots s WHERE s.name = schedule_slots.name)`,
        [firedBefore],
      ),
      manualRuns: await c.run(
        `DELETE FROM schedule_manual_runs WHERE fired_at < $1
           AND id <> (SELECT m.id FROM schedule_manual_runs m WHERE m.name = schedule_manual_runs.name
                      ORDER BY m.fired_at DESC, m.id DESC LIMIT 1)`,
        [firedBefore],
      ),
    }));
  }
}
