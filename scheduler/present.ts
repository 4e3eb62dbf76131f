import { z } from "zod";
import type { RiskLimits } from "../src/config.js";
import { microsToUsd } from "../src/money.js";
import { type StakeStatement, stakeStatement } from "./stake.js";
import { argsForTool } from "./tool-args.js";
import type { Firing, ScheduleView } from "./types.js";

/**
 * Schedules as the tools and `schedules://list` show them (Flower's Beat inspector): snake_case, ISO times,
 * USD amounts (in args too, under `_usd` names), and for money schedules the worst-case daily stake against the
 * limits.
 */

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export const firingShape = z.object({
  slot: z.string().nullable().describe("the slot it fired for (ISO); null for a manual run"),
  fired_at: z.string(),
  outcome: z.enum(["enqueued", "skipped", "expired", "failed"]),
  manual: z.boolean(),
  job_id: z.string().nullable(),
  job_state: z.string().nullable().describe("the job's state now, if the engine still holds it"),
  detail: z.string().nullable(),
});

export const stakeShape = z.object({
  firings_per_day: z.number(),
  bets_per_firing: z.number(),
  stake_per_bet_usd: z.number(),
  per_firing_usd: z.number(),
  worst_case_daily_usd: z.number().describe("firings per day × bets × stake: the most one day could lose"),
  within_limits: z.boolean(),
  statement: z.string(),
});

export const scheduleShape = z.object({
  name: z.string(),
  description: z.string(),
  task: z.string(),
  args: z
    .record(z.string(), z.unknown())
    .describe("the task's arguments; money in USD under `_usd` names (amount_usd: 0.01 = one cent)"),
  queue: z.string(),
  cron: z.string().nullable(),
  interval_seconds: z.number().nullable(),
  timezone: z.string(),
  enabled: z.boolean(),
  catch_up: z.enum(["skip", "latest"]),
  expiry_seconds: z.number().nullable(),
  money: z.boolean().describe("stakes money: runs only when enabled, always inside the risk limits"),
  origin: z.enum(["builtin", "user"]).describe("user: made by create_schedule; only those can be deleted"),
  next_run_at: z.string().nullable().describe("next slot (ISO, UTC); null when disabled"),
  last_firing: firingShape.nullable(),
  stake: stakeShape.nullable().describe("money schedules only"),
});

export type ScheduleJson = z.infer<typeof scheduleShape>;

export function stakeJson(s: StakeStatement): z.infer<typeof stakeShape> {
  return {
    firings_per_day: s.firingsPerDay,
    bets_per_firing: s.betsPerFiring,
    stake_per_bet_usd: microsToUsd(s.stakePerBet),
    per_firing_usd: microsToUsd(s.perFiring),
    worst_case_daily_usd: microsToUsd(s.worstCaseDaily),
    within_limits: !Object.values(s.exceeds).some(Boolean),
    statement: s.text,
  };
}

export function firingJson(f: Firing, jobState: string | null): z.infer<typeof firingShape> {
  return {
    slot: iso(f.slot),
    fired_at: iso(f.firedAt) as string,
    outcome: f.outcome,
    manual: f.manual,
    job_id: f.jobId,
    job_state: jobState,
    detail: f.detail,
  };
}

export function scheduleJson(v: ScheduleView, limits: RiskLimits): ScheduleJson {
  const stake = stakeStatement(v, limits);
  return {
    name: v.name,
    description: v.description,
    task: v.task,
    args: argsForTool(v.task, v.args),
    queue: v.queue,
    cron: v.cron,
    interval_seconds: v.intervalSeconds,
    timezone: v.timezone,
    enabled: v.enabled,
    catch_up: v.catchUp,
    expiry_seconds: v.expirySeconds,
    money: v.money,
    origin: v.origin,
    next_run_at: iso(v.nextRunAt),
    last_firing: v.lastFiring && firingJson(v.lastFiring, v.lastJobState),
    stake: stake && stakeJson(stake),
  };
}

/** One line per schedule: `hourly-crash-batch  off  0 * * * * UTC → casino.place_batch; next –; last –`. */
export function scheduleLine(s: ScheduleJson): string {
  const timing = s.cron === null ? `every ${s.interval_seconds} s` : `${s.cron} ${s.timezone}`;
  const last = s.last_firing
    ? `${s.last_firing.manual ? "manual" : s.last_firing.slot} ${s.last_firing.outcome}${s.last_firing.job_state ? ` (job ${s.last_firing.job_state})` : ""}`
    : "–";
  const stake = s.stake ? `; worst-case $${s.stake.worst_case_daily_usd.toFixed(2)}/day` : "";
  const origin = s.origin === "user" ? " (user)" : "";
  return `${s.name}${origin}  ${s.enabled ? "on " : "off"}  ${timing} → ${s.task}; next ${s.next_run_at ?? "–"}; last ${last}${stake}`;
}
