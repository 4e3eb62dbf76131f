import type { QueueName } from "../src/config.js";
import { type Db, migrate } from "../src/db.js";
import type { Firing, FiringOutcome, Schedule } from "./types.js";

/**
 * The scheduler's tables. `schedule_slots` is what makes each slot fire once: its primary key
 * (name, slot) is claimed with INSERT … ON CONFLICT DO NOTHING in the same transaction as the enqueue.
 * Append-only list: never edit a migration that has shipped, add a new one.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE schedules (
    name             TEXT    PRIMARY KEY,
    description      TEXT    NOT NULL,
    task             TEXT    NOT NULL,
    args             TEXT    NOT NULL,
    queue            TEXT    NOT NULL,
    cron             TEXT,
    interval_seconds INTEGER CHECK (interval_seconds IS NULL OR interval_seconds >= 1),
    timezone         TEXT    NOT NULL DEFAULT 'UTC',
    enabled          INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    catch_up         TEXT    NOT NULL CHECK (catch_up IN ('skip', 'latest')),
    expiry_seconds   INTEGER CHECK (expiry_seconds IS NULL OR expiry_seconds >= 1),
    money            INTEGER NOT NULL CHECK (money IN (0, 1)),
    active_since     INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK ((cron IS NULL) <> (interval_seconds IS NULL))
  ) STRICT;

  CREATE TABLE schedule_slots (
    name     TEXT    NOT NULL REFERENCES schedules (name),
    slot     INTEGER NOT NULL,
    job_id   TEXT,
    fired_at INTEGER NOT NULL,
    outcome  TEXT    NOT NULL CHECK (outcome IN ('enqueued', 'skipped', 'expired', 'failed')),
    detail   TEXT,
    PRIMARY KEY (name, slot)
  ) STRICT, WITHOUT ROWID;

  -- run_schedule_now: outside the slot table, so a manual run never uses up a slot
  CREATE TABLE schedule_manual_runs (
    id       INTEGER PRIMARY KEY,
    name     TEXT    NOT NULL REFERENCES schedules (name),
    job_id   TEXT    NOT NULL,
    fired_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX schedule_manual_runs_by_name ON schedule_manual_runs (name, fired_at);
  `,
];

interface ScheduleRow {
  name: string;
  description: string;
  task: string;
  args: string;
  queue: string;
  cron: string | null;
  interval_seconds: number | null;
  timezone: string;
  enabled: number;
  catch_up: Schedule["catchUp"];
  expiry_seconds: number | null;
  money: number;
  active_since: number;
  created_at: number;
  updated_at: number;
}

interface FiringRow {
  slot: number | null;
  job_id: string | null;
  fired_at: number;
  outcome: FiringOutcome;
  detail: string | null;
  manual: number;
}

const toSchedule = (r: ScheduleRow): Schedule => ({
  name: r.name,
  description: r.description,
  task: r.task,
  args: JSON.parse(r.args) as Record<string, unknown>,
  queue: r.queue as QueueName,
  cron: r.cron,
  intervalSeconds: r.interval_seconds,
  timezone: r.timezone,
  enabled: r.enabled === 1,
  catchUp: r.catch_up,
  expirySeconds: r.expiry_seconds,
  money: r.money === 1,
  activeSince: r.active_since,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

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
  created_at: s.createdAt,
  updated_at: s.updatedAt,
});

export type ScheduleStore = ReturnType<typeof createScheduleStore>;

export function createScheduleStore(db: Db) {
  migrate(db, "scheduler", MIGRATIONS);

  const selectAll = db.prepare("SELECT * FROM schedules ORDER BY created_at, name");
  const selectEnabled = db.prepare("SELECT * FROM schedules WHERE enabled = 1 ORDER BY name");
  const selectOne = db.prepare("SELECT * FROM schedules WHERE name = ?");
  const insertIfAbsent = db.prepare(
    `INSERT INTO schedules (name, description, task, args, queue, cron, interval_seconds, timezone, enabled,
       catch_up, expiry_seconds, money, active_since, created_at, updated_at)
     VALUES (@name, @description, @task, @args, @queue, @cron, @interval_seconds, @timezone, @enabled,
       @catch_up, @expiry_seconds, @money, @active_since, @created_at, @updated_at)
     ON CONFLICT (name) DO NOTHING`,
  );
  const update = db.prepare(
    `UPDATE schedules SET args = @args, cron = @cron, interval_seconds = @interval_seconds, timezone = @timezone,
       enabled = @enabled, catch_up = @catch_up, expiry_seconds = @expiry_seconds, active_since = @active_since,
       updated_at = @updated_at
     WHERE name = @name`,
  );
  const lastSlot = db.prepare("SELECT MAX(slot) FROM schedule_slots WHERE name = ?").pluck();
  const claim = db.prepare(
    `INSERT INTO schedule_slots (name, slot, fired_at, outcome, detail) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (name, slot) DO NOTHING`,
  );
  const attachJob = db.prepare("UPDATE schedule_slots SET job_id = ? WHERE name = ? AND slot = ?");
  const markFailed = db.prepare("UPDATE schedule_slots SET outcome = 'failed', detail = ? WHERE name = ? AND slot = ?");
  const insertManual = db.prepare("INSERT INTO schedule_manual_runs (name, job_id, fired_at) VALUES (?, ?, ?)");
  const selectLastFiring = db.prepare(
    `SELECT slot, job_id, fired_at, outcome, detail, 0 AS manual FROM schedule_slots WHERE name = @name
     UNION ALL
     SELECT NULL, job_id, fired_at, 'enqueued', NULL, 1 FROM schedule_manual_runs WHERE name = @name
     ORDER BY fired_at DESC, manual DESC LIMIT 1`,
  );
  // keeps each schedule's latest slot: it is what stops an old slot from firing again
  const pruneSlots = db.prepare(
    `DELETE FROM schedule_slots WHERE fired_at < ?
       AND slot < (SELECT MAX(s.slot) FROM schedule_slots s WHERE s.name = schedule_slots.name)`,
  );

  return {
    all: (): Schedule[] => (selectAll.all() as ScheduleRow[]).map(toSchedule),
    enabled: (): Schedule[] => (selectEnabled.all() as ScheduleRow[]).map(toSchedule),
    get(name: string): Schedule | undefined {
      const row = selectOne.get(name) as ScheduleRow | undefined;
      return row ? toSchedule(row) : undefined;
    },
    /** true when inserted; an existing schedule of that name is left as it is */
    insertIfAbsent: (s: Schedule): boolean => insertIfAbsent.run(toParams(s)).changes === 1,
    /** writes the operator-editable fields (task, queue and money flag never change) */
    update(s: Schedule): void {
      update.run(toParams(s));
    },
    lastSlot: (name: string): number | null => lastSlot.get(name) as number | null,
    /** claims the slot; false if any process already did */
    claimSlot: (name: string, slot: number, firedAt: number, outcome: FiringOutcome, detail: string | null): boolean =>
      claim.run(name, slot, firedAt, outcome, detail).changes === 1,
    attachJob(name: string, slot: number, jobId: string): void {
      attachJob.run(jobId, name, slot);
    },
    markFailed(name: string, slot: number, detail: string): void {
      markFailed.run(detail, name, slot);
    },
    recordManual(name: string, jobId: string, firedAt: number): void {
      insertManual.run(name, jobId, firedAt);
    },
    lastFiring(name: string): Firing | null {
      const r = selectLastFiring.get({ name }) as FiringRow | undefined;
      if (!r) return null;
      return {
        name,
        slot: r.slot,
        firedAt: r.fired_at,
        jobId: r.job_id,
        outcome: r.outcome,
        manual: r.manual === 1,
        detail: r.detail,
      };
    },
    pruneSlots: (firedBefore: number): number => pruneSlots.run(firedBefore).changes,
  };
}
