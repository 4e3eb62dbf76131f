/**
 * Live-mode confirmation for schedules (src/mcp/confirm.ts). Enabling a money schedule commits the fleet to its
 * worst-case daily stake, and a manual run places one firing's bets: in live mode both are put to the user like
 * any other money move, or the model could enable a schedule and run it to get round the batch tools' question.
 */
import type { StakeStatement } from "../scheduler/stake.js";
import type { Schedule } from "../scheduler/types.js";
import type { RiskLimits } from "../src/config.js";
import { type MoneyPlan, planArgs } from "../src/mcp/confirm.js";
import { formatUsd, type Micros } from "../src/money.js";

const usd = (m: Micros) => `$${formatUsd(m)}`;

/** Enabling (or changing while enabled) a money schedule: every firing of a day could lose its stake. */
export function enablingMoneyPlan(
  args: Record<string, unknown>,
  next: Schedule,
  statement: StakeStatement,
  limits: RiskLimits,
): MoneyPlan {
  return {
    tool: "set_schedule",
    args: planArgs(args),
    resolved: {
      schedule: next.name,
      task: next.task,
      args: next.args,
      cron: next.cron,
      interval: next.intervalSeconds,
    },
    worstCase: statement.worstCaseDaily,
    lines: [`enable ${next.name} (${next.task}): ${statement.text.split("; limits:")[0]}`],
    limits: async () => scheduleLimits(limits),
  };
}

/** A manual run of a money schedule: one firing's bets. */
export function manualRunMoneyPlan(schedule: Schedule, statement: StakeStatement, limits: RiskLimits): MoneyPlan {
  return {
    tool: "run_schedule_now",
    args: { name: schedule.name },
    resolved: { task: schedule.task, args: schedule.args },
    worstCase: statement.perFiring,
    lines: [
      `run ${schedule.name} (${schedule.task}) once now: ${statement.betsPerFiring} bet(s) × ${usd(statement.stakePerBet)}`,
      `worst case: ${usd(statement.perFiring)}`,
    ],
    limits: async () => scheduleLimits(limits),
  };
}

function scheduleLimits(limits: RiskLimits): string[] {
  return [
    `max bet ${usd(limits.maxBet)}, max batch ${usd(limits.maxBatch)}`,
    `daily loss ${usd(limits.dailyLossLimit)} per agent, ${usd(limits.fleetDailyLossLimit)} fleet`,
  ];
}
