/**
 * The scheduler's rows as both backends return them (the same column names), and how they become its types.
 * Flags are 0/1 in SQLite and booleans in PostgreSQL.
 */
import type { Firing, FiringOutcome, Schedule } from "../../scheduler/types.js";
import type { QueueName } from "../config.js";

export interface ScheduleRow {
  name: string;
  description: string;
  task: string;
  args: string;
  queue: string;
  cron: string | null;
  interval_seconds: number | null;
  timezone: string;
  enabled: number | boolean;
  catch_up: Schedule["catchUp"];
  expiry_seconds: number | null;
  money: number | boolean;
  active_since: number;
  origin: Schedule["origin"];
  created_at: number;
  updated_at: number;
}

export interface FiringRow {
  slot: number | null;
  job_id: string | null;
  fired_at: number;
  outcome: FiringOutcome;
  detail: string | null;
  manual: number | boolean;
}

const flag = (v: number | boolean): boolean => v === true || v === 1;

export const toSchedule = (r: ScheduleRow): Schedule => ({
  name: r.name,
  description: r.description,
  task: r.task,
  args: JSON.parse(r.args) as Record<string, unknown>,
  queue: r.queue as QueueName,
  cron: r.cron,
  intervalSeconds: r.interval_seconds,
  timezone: r.timezone,
  enabled: flag(r.enabled),
  catchUp: r.catch_up,
  expirySeconds: r.expiry_seconds,
  money: flag(r.money),
  activeSince: r.active_since,
  origin: r.origin,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toFiring = (name: string, r: FiringRow): Firing => ({
  name,
  slot: r.slot,
  firedAt: r.fired_at,
  jobId: r.job_id,
  outcome: r.outcome,
  manual: flag(r.manual),
  detail: r.detail,
});
