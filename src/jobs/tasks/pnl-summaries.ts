import type { z } from "zod";
import { DAY_MS, isoWeekKey, utcDateKey } from "../../ledger/period.js";
import { dailySummary, type StoredSummary, weeklySummary } from "../../ledger/summaries.js";
import type { TaskDefinition } from "../types.js";
import { dailyPnlArgs, TASK, weeklyPnlArgs } from "./args.js";
import { READ_RETRY } from "./policies.js";

/**
 * `pnl.daily_summary` (scheduled 23:55 UTC: the day that is ending) and `pnl.weekly_report` (scheduled
 * Monday 06:00 UTC: the ISO week that just ended). Both compute the ledger's report for the period and store
 * it; the stored summary is the job's result.
 */

const SUMMARY_TIME_LIMIT_MS = 60_000;

export function dailyPnlTask(): TaskDefinition<z.infer<typeof dailyPnlArgs>, StoredSummary> {
  return {
    name: TASK.dailyPnl,
    queue: "analytics",
    moneyMoving: false,
    timeLimitMs: SUMMARY_TIME_LIMIT_MS,
    retry: READ_RETRY,
    args: dailyPnlArgs,
    run: (ctx) => dailySummary(ctx.storage, ctx.args.date ?? utcDateKey(Date.now())),
  };
}

export function weeklyPnlTask(): TaskDefinition<z.infer<typeof weeklyPnlArgs>, StoredSummary> {
  return {
    name: TASK.weeklyPnl,
    queue: "analytics",
    moneyMoving: false,
    timeLimitMs: SUMMARY_TIME_LIMIT_MS,
    retry: READ_RETRY,
    args: weeklyPnlArgs,
    run: (ctx) => weeklySummary(ctx.storage, ctx.args.week ?? isoWeekKey(Date.now() - 7 * DAY_MS)),
  };
}
