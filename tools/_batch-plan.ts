/**
 * A batch plan as the batch tools show it: the structured view (USD, real vs priced edge, Kelly caps) and the
 * dry run's text, plus what would refuse the plan if it were sent.
 */
import { z } from "zod";
import type { Mode } from "../src/config.js";
import type { FleetDeps } from "../src/deps.js";
import { FleetError, toFleetError } from "../src/errors.js";
import { type BatchPlan, MIN_STAKE, type SkippedAgent } from "../src/jobs/tasks/batch-plan.js";
import { type BankrollFallback, CASINO_DEFAULT_RISK_FACTOR, fundingHint } from "../src/jobs/tasks/batch-submit.js";
import { formatUsd, type Micros, microsToUsd } from "../src/money.js";
import { signedUsd } from "./_batch-summary.js";

const usdField = z.number().describe("USD");
export const issue = z.object({ code: z.string(), message: z.string(), hint: z.string().optional() });

export const skippedView = z
  .array(z.object({ agent_id: z.string(), balance_usd: usdField, kelly_cap_usd: usdField, reason: z.string() }))
  .describe("no agent_ids: agents left out because they cannot afford their share, and why");

export const planView = z.object({
  total_stake_usd: usdField,
  expected_value_usd: usdField.describe("Σ stake × (real win probability × multiplier − 1); negative"),
  payout_multiplier: z.number().describe("total return per unit staked on a win"),
  win_probability: z.number().describe("the real chance of a win, over all 10,000 rolls"),
  priced_win_probability: z.number().describe("the chance the payout is priced on (and the Kelly cap uses)"),
  house_edge: z.number().describe("real: 1 − win_probability × multiplier"),
  priced_house_edge: z.number(),
  balance_source: z
    .enum(["server", "local_ledger", "mixed"])
    .describe("server: every agent's GET /auth/balance; otherwise some (mixed) or all reads failed, see agents"),
  agents: z.array(
    z.object({
      agent_id: z.string(),
      bets: z.number().int(),
      stake_usd: usdField,
      balance_usd: usdField,
      risk_factor: z.number(),
      balance_source: z
        .enum(["server", "local_ledger"])
        .describe("local_ledger: the server read failed; local balance at the default risk factor"),
      balance_read_error: issue
        .optional()
        .describe("why the server read failed (dry run only; a real run refuses instead)"),
      kelly_cap_usd: usdField.describe("largest stake the server accepts per bet at this balance"),
      within_kelly: z.boolean(),
    }),
  ),
  warnings: z.array(z.string()),
  skipped: skippedView,
});

export type Refusal = z.output<typeof issue>;

export function skippedOut(skipped: readonly SkippedAgent[]): z.output<typeof skippedView> {
  return skipped.map((a) => ({
    agent_id: a.agentId,
    balance_usd: microsToUsd(a.balance),
    kelly_cap_usd: microsToUsd(a.kellyCap),
    reason: a.reason,
  }));
}

export function skippedText(skipped: z.output<typeof skippedView>): string[] {
  if (skipped.length === 0) return [];
  const lines = skipped.map((a) => `${a.agent_id}: ${a.reason}`);
  return [`Skipped ${skipped.length} agent(s) that cannot afford their share: ${lines.join("; ")}.`];
}

/**
 * No agent of the fleet can afford the batch. The hint says how to fund them, and offers what else would let
 * some agent bet: a smaller stake when a Kelly cap allows one (never below the $0.01 minimum), fewer bets when a
 * balance covers some of its share.
 */
export function noneCanAfford(mode: Mode, amount: Micros, skipped: readonly SkippedAgent[]): FleetError {
  const caps = skipped.map((a) => a.kellyCap).filter((cap) => cap >= MIN_STAKE && cap < amount);
  const smaller = caps.length ? `, or lower the stake to ≤ $${formatUsd(Math.max(...caps))}` : "";
  const fewer = skipped.some((a) => a.kellyCap >= amount) ? ", or place fewer bets" : "";
  return new FleetError(
    "INSUFFICIENT_BALANCE",
    `no fleet agent can afford its share of this batch at $${formatUsd(amount)} a bet: ` +
      skipped.map((a) => `${a.agentId} (${a.reason})`).join("; "),
    {
      hint: `${fundingHint(
        mode,
        skipped.map((a) => a.agentId),
      )}${smaller}${fewer}; nothing was sent`,
      details: { skipped: skippedOut(skipped) },
    },
  );
}

/** Runs the checks a real batch would; their first refusal, or undefined when the plan would be accepted. */
export async function refusal(check: () => Promise<void>): Promise<Refusal | undefined> {
  try {
    await check();
    return undefined;
  } catch (err) {
    const e = toFleetError(err);
    return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
  }
}

/** `fallbacks`: the agents priced from the local ledger because their server read failed (dry runs only). */
export function planOut(
  p: BatchPlan,
  fallbacks: readonly BankrollFallback[],
  skipped: readonly SkippedAgent[] = [],
): z.output<typeof planView> {
  const failed = new Map(fallbacks.map((f) => [f.agentId, f]));
  const source = failed.size === 0 ? "server" : failed.size < p.agents.length ? "mixed" : "local_ledger";
  return {
    total_stake_usd: microsToUsd(p.totalStake),
    expected_value_usd: microsToUsd(p.expectedValue),
    payout_multiplier: p.economics.payoutMultiplier,
    win_probability: p.economics.winProbability,
    priced_win_probability: p.economics.pricedWinProbability,
    house_edge: round6(p.economics.houseEdge),
    priced_house_edge: round6(p.economics.pricedHouseEdge),
    balance_source: source,
    agents: p.agents.map((a) => ({
      agent_id: a.agentId,
      bets: a.bets,
      stake_usd: microsToUsd(a.stake),
      balance_usd: microsToUsd(a.balance),
      risk_factor: a.riskFactor,
      ...sourceOf(failed.get(a.agentId)),
      kelly_cap_usd: microsToUsd(a.kellyCap),
      within_kelly: a.withinKelly,
    })),
    warnings: p.warnings,
    skipped: skippedOut(skipped),
  };
}

function sourceOf(f: BankrollFallback | undefined) {
  if (!f) return { balance_source: "server" as const };
  return { balance_source: "local_ledger" as const, balance_read_error: { code: f.code, message: f.message } };
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export function dryRunText(
  deps: FleetDeps,
  label: string,
  p: BatchPlan,
  fallbacks: readonly BankrollFallback[],
  blocked: Refusal | undefined,
): string {
  const failed = new Set(fallbacks.map((f) => f.agentId));
  return [
    `[${deps.mode}] DRY RUN, no bet sent: ${label} across ${p.agents.length} agent(s).`,
    `Total stake $${formatUsd(p.totalStake)}; expected value ${signedUsd(p.expectedValue)}; house edge ${pct(p.economics.houseEdge)} (priced ${pct(p.economics.pricedHouseEdge)}); win chance ${pct(p.economics.winProbability)} at ${p.economics.payoutMultiplier}×.`,
    ...p.agents.map(
      (a) =>
        `- ${a.agentId}: ${a.bets} bets, $${formatUsd(a.stake)}; balance $${formatUsd(a.balance)} (${failed.has(a.agentId) ? "local ledger" : "server"}), Kelly cap $${formatUsd(a.kellyCap)} at risk factor ${a.riskFactor}${a.withinKelly ? "" : " — stake ABOVE the cap"}`,
    ),
    fallbacks.length === 0
      ? "Balances and risk factors are the server's (read-only GET /auth/balance), as the real run reads them."
      : fallbacks
          .map(
            (f) =>
              `Could not read ${f.agentId}'s balance and risk factor from the server (${f.code}: ${f.message}); priced from its local ledger balance at the casino default risk factor ${CASINO_DEFAULT_RISK_FACTOR}, so its Kelly cap may differ from the real run's, which re-reads both.`,
          )
          .join("\n"),
    ...p.warnings.map((w) => `Warning: ${w}`),
    blocked
      ? `Would be refused: ${blocked.code} ${blocked.message}${blocked.hint ? ` (${blocked.hint})` : ""}`
      : "Within the risk limits.",
  ].join("\n");
}
