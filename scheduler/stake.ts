import type { RiskLimits } from "../src/config.js";
import { FleetError } from "../src/errors.js";
import { formatUsd, type Micros, microsToUsd } from "../src/money.js";
import { SCHEDULABLE_TASKS } from "./catalog.js";
import { maxFiringsPerDay, slotRule } from "./slots.js";
import type { Schedule } from "./types.js";

/**
 * What enabling a money schedule could cost: firings per day × bets per firing × stake per bet, stated
 * against the operator's limits. Each firing is still checked against the limits when it runs; this is the
 * statement made up front so nobody enables a schedule without seeing its worst case.
 */
export interface StakeStatement {
  firingsPerDay: number;
  betsPerFiring: number;
  stakePerBet: Micros;
  perFiring: Micros;
  worstCaseDaily: Micros;
  /** true where the schedule could exceed that limit */
  exceeds: { maxBet: boolean; maxBatch: boolean; dailyLossLimit: boolean; fleetDailyLossLimit: boolean };
  text: string;
}

/** null for a schedule that stakes nothing, or whose stored args no longer parse (`set` refuses those). */
export function stakeStatement(s: Schedule, limits: RiskLimits): StakeStatement | null {
  if (!s.money) return null;
  const parsed = SCHEDULABLE_TASKS[s.task]?.args.safeParse(s.args);
  if (!parsed?.success) return null;
  const args = parsed.data as { count: number; amount: Micros };
  const firingsPerDay = maxFiringsPerDay(slotRule(s));
  const perFiring = args.count * args.amount;
  const worstCaseDaily = firingsPerDay * perFiring;
  const exceeds = {
    maxBet: args.amount > limits.maxBet,
    maxBatch: perFiring > limits.maxBatch,
    dailyLossLimit: worstCaseDaily > limits.dailyLossLimit,
    fleetDailyLossLimit: worstCaseDaily > limits.fleetDailyLossLimit,
  };
  const usd = (m: Micros) => `$${formatUsd(m)}`;
  const flags = [
    exceeds.maxBet && `each bet exceeds the max bet ${usd(limits.maxBet)}`,
    exceeds.maxBatch && `each batch exceeds the max batch ${usd(limits.maxBatch)}`,
    exceeds.fleetDailyLossLimit && `the day could exceed the fleet daily loss limit ${usd(limits.fleetDailyLossLimit)}`,
    exceeds.dailyLossLimit &&
      `an agent could reach its daily loss limit ${usd(limits.dailyLossLimit)}, after which its bets are refused`,
  ].filter(Boolean);
  const text =
    `worst-case daily stake ${usd(worstCaseDaily)} = ${firingsPerDay} firing(s)/day × ${args.count} bet(s) × ` +
    `${usd(args.amount)}; limits: max bet ${usd(limits.maxBet)}, max batch ${usd(limits.maxBatch)}, daily loss ` +
    `${usd(limits.dailyLossLimit)} per agent, ${usd(limits.fleetDailyLossLimit)} fleet` +
    (flags.length ? `. WARNING: ${flags.join("; ")}` : ". Within every limit.");
  return {
    firingsPerDay,
    betsPerFiring: args.count,
    stakePerBet: args.amount,
    perFiring,
    worstCaseDaily,
    exceeds,
    text,
  };
}

/**
 * Refuses (LIMIT_EXCEEDED) an enabled money schedule whose every firing would be refused (bet or batch over
 * the limit) or whose worst-case day could lose more than the fleet's daily loss limit. Reaching one agent's
 * daily limit is allowed but flagged: the limit itself stops that agent.
 */
export function assertStakeWithinLimits(s: Schedule, statement: StakeStatement | null): void {
  if (!s.enabled || !statement) return;
  const { maxBet, maxBatch, fleetDailyLossLimit } = statement.exceeds;
  if (maxBet || maxBatch || fleetDailyLossLimit) {
    throw new FleetError("LIMIT_EXCEEDED", `schedule \`${s.name}\` not changed: ${statement.text}`, {
      hint: "lower count or amount_usd, or fire less often; the model cannot raise the operator's limits",
      details: { worst_case_daily_usd: microsToUsd(statement.worstCaseDaily) },
    });
  }
}
