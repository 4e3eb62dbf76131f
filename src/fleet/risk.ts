import { FleetError } from "../errors.js";
import { formatUsd, type Micros } from "../money.js";
import { agentLimits } from "./limits.js";
import type { EffectiveLimits } from "./types.js";

/**
 * The risk checks run before anything is enqueued or sent. Loss headroom is checked against the worst case —
 * every stake lost — so a batch that passes cannot take the day's realised loss past a limit, whatever the dice.
 */

/** What one check consults, read at once for every agent of the batch. */
export interface RiskView {
  /** NOT_FOUND for an unknown agent, then TRADING_PAUSED if it or the fleet is paused */
  assertCanTrade(agentId: string): void;
  /** the fleet's limits with every tightening: read once per check, whatever the number of agents */
  limits: EffectiveLimits;
  lossToday(agentId: string): Micros;
  fleetLossToday: Micros;
}

export interface RiskInputs {
  /** one read of everything the checks of `agentIds` need: this runs before every bet */
  read(agentIds: readonly string[]): Promise<RiskView>;
}

const HINT = "limits come from the operator's configuration; lower the amount or count (no tool can raise a limit)";

export function createRiskChecks(inputs: RiskInputs) {
  async function assertCanPlaceBatch(stakes: Array<{ agentId: string; stake: Micros }>): Promise<void> {
    if (stakes.length === 0) throw new FleetError("INVALID_INPUT", "a batch needs at least one bet, got none");
    const perAgent = new Map<string, { total: Micros; largest: Micros }>();
    let total = 0;
    for (const { agentId, stake } of stakes) {
      if (!Number.isSafeInteger(stake) || stake <= 0) {
        throw new FleetError("INVALID_INPUT", `stake must be a whole number of micro-USD > 0, got \`${stake}\``);
      }
      const seen = perAgent.get(agentId) ?? { total: 0, largest: 0 };
      perAgent.set(agentId, { total: seen.total + stake, largest: Math.max(seen.largest, stake) });
      total += stake;
    }
    // bad input is refused above, before anything is read
    const view = await inputs.read([...perAgent.keys()]);
    const fleet = view.limits;
    for (const [agentId, { total: agentTotal, largest }] of perAgent) {
      view.assertCanTrade(agentId);
      const limits = agentLimits(fleet, agentId);
      if (largest > limits.maxBet) {
        throw exceeded(`a stake of ${usd(largest)} is above the max bet of ${usd(limits.maxBet)} for ${agentId}`, {
          limit: "maxBet",
          agent_id: agentId,
          requested_usd: largest / 1e6,
          limit_usd: limits.maxBet / 1e6,
        });
      }
      if (agentTotal > limits.maxBatch) {
        throw exceeded(
          `${agentId}'s share of the batch stakes ${usd(agentTotal)}, above its max batch stake of ${usd(limits.maxBatch)}`,
          {
            limit: "maxBatch",
            agent_id: agentId,
            requested_usd: agentTotal / 1e6,
            limit_usd: limits.maxBatch / 1e6,
          },
        );
      }
      const lost = view.lossToday(agentId);
      if (lost + agentTotal > limits.dailyLossLimit) {
        throw exceeded(
          `${agentId} has lost ${usd(lost)} today (UTC); staking ${usd(agentTotal)} more could pass its daily loss limit of ${usd(limits.dailyLossLimit)} (headroom ${usd(Math.max(0, limits.dailyLossLimit - lost))})`,
          {
            limit: "dailyLossLimit",
            agent_id: agentId,
            lost_today_usd: lost / 1e6,
            limit_usd: limits.dailyLossLimit / 1e6,
          },
        );
      }
    }
    if (total > fleet.maxBatch) {
      throw exceeded(`the batch stakes ${usd(total)} in all, above the max batch stake of ${usd(fleet.maxBatch)}`, {
        limit: "maxBatch",
        requested_usd: total / 1e6,
        limit_usd: fleet.maxBatch / 1e6,
      });
    }
    const fleetLost = view.fleetLossToday;
    if (fleetLost + total > fleet.fleetDailyLossLimit) {
      throw exceeded(
        `the fleet has lost ${usd(fleetLost)} today (UTC); staking ${usd(total)} more could pass the fleet-wide daily loss limit of ${usd(fleet.fleetDailyLossLimit)} (headroom ${usd(Math.max(0, fleet.fleetDailyLossLimit - fleetLost))})`,
        { limit: "fleetDailyLossLimit", lost_today_usd: fleetLost / 1e6, limit_usd: fleet.fleetDailyLossLimit / 1e6 },
      );
    }
  }

  return {
    assertCanPlaceBatch,
    assertCanBet(agentId: string, stake: Micros): Promise<void> {
      return assertCanPlaceBatch([{ agentId, stake }]);
    },
  };
}

function usd(micros: Micros): string {
  return `$${formatUsd(micros, micros % 10_000 === 0 ? 2 : 6)}`;
}

function exceeded(message: string, details: Record<string, unknown>): FleetError {
  return new FleetError("LIMIT_EXCEEDED", message, { hint: HINT, details });
}
