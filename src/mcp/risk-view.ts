import { z } from "zod";
import type { RiskLimits } from "../config.js";
import type { FleetDeps } from "../deps.js";
import { pnlReport, startOfUtcDay } from "../ledger/index.js";
import { microsToUsd } from "../money.js";

/** Risk limits and today's losses as tools and resources show them: USD numbers, snake_case. */

export const limitsShape = z.object({
  max_bet_usd: z.number(),
  max_batch_usd: z.number(),
  daily_loss_limit_usd: z.number(),
  fleet_daily_loss_limit_usd: z.number(),
});

export function limitsView(l: RiskLimits): z.infer<typeof limitsShape> {
  return {
    max_bet_usd: microsToUsd(l.maxBet),
    max_batch_usd: microsToUsd(l.maxBatch),
    daily_loss_limit_usd: microsToUsd(l.dailyLossLimit),
    fleet_daily_loss_limit_usd: microsToUsd(l.fleetDailyLossLimit),
  };
}

export const pauseShape = z.object({
  fleet_paused: z.boolean(),
  reason: z.string().nullable(),
  paused_agents: z.array(z.string()),
});

export async function pauseView(deps: Pick<FleetDeps, "fleet">): Promise<z.infer<typeof pauseShape>> {
  const p = await deps.fleet.pauseState();
  return { fleet_paused: p.fleetPaused, reason: p.reason, paused_agents: p.pausedAgents };
}

/**
 * Realised trading loss of the current UTC day (≥ 0), fleet-wide and per agent, from the ledger; `pnl` is the
 * same day's bet PnL with its sign.
 */
export async function lossesToday(
  deps: Pick<FleetDeps, "storage">,
  now = Date.now(),
): Promise<{ fleet: number; byAgent: Map<string, number>; pnl: { fleet: number; byAgent: Map<string, number> } }> {
  const from = startOfUtcDay(now);
  const report = await pnlReport(deps.storage, { from, to: from + 86_400_000 });
  const byAgent = new Map<string, number>();
  const pnlByAgent = new Map<string, number>();
  for (const [agentId, stats] of Object.entries(report.byAgent)) {
    byAgent.set(agentId, Math.max(0, -stats.pnl));
    pnlByAgent.set(agentId, stats.pnl);
  }
  return { fleet: Math.max(0, -report.totals.pnl), byAgent, pnl: { fleet: report.totals.pnl, byAgent: pnlByAgent } };
}

/** What a daily loss limit still allows: the limit less today's loss and the stakes in flight (counted as lost). */
export function lossHeadroom(limit: number, lost: number, inFlight: number): number {
  return Math.max(0, limit - lost - inFlight);
}
