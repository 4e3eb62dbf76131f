import { FleetError } from "../errors.js";
import type { AgentRiskState, FleetRepo } from "../storage/fleet.js";
import { unknownAgent } from "./agents.js";
import type { PauseState } from "./types.js";

/** The kill switch: fleet-wide and per agent, persisted so a restart does not resume trading by itself. */
export function createPauseSwitch(repo: FleetRepo, now: () => number) {
  async function state(): Promise<PauseState> {
    const { fleetReason, pausedAgents } = await repo.pauseState();
    return { fleetPaused: fleetReason !== null, reason: fleetReason, pausedAgents };
  }

  return {
    state,

    async pause({ agentId, reason }: { agentId?: string; reason: string }): Promise<PauseState> {
      const why = reason.trim();
      if (!why) throw new FleetError("INVALID_INPUT", "a pause needs a reason, got an empty one");
      if (agentId === undefined) await repo.pauseFleet(why, now());
      else if (!(await repo.pauseAgent(agentId, why))) throw unknownAgent(agentId);
      return state();
    },

    async resume({ agentId }: { agentId?: string }): Promise<PauseState> {
      if (agentId === undefined) await repo.resumeFleet();
      else if (!(await repo.resumeAgent(agentId))) throw unknownAgent(agentId);
      return state();
    },
  };
}

/**
 * NOT_FOUND for an agent the fleet does not know (`state` undefined); TRADING_PAUSED if the fleet or the agent is
 * paused. `state` comes from the risk read, which takes both switches and the agent in one go.
 */
export function assertCanTrade(agentId: string, state: AgentRiskState | undefined): void {
  if (!state) throw unknownAgent(agentId);
  if (state.fleetPauseReason !== null) throw fleetPaused(state.fleetPauseReason);
  if (state.paused) throw agentPaused(agentId, state.pauseReason);
}

function fleetPaused(reason: string): FleetError {
  return new FleetError("TRADING_PAUSED", `trading is paused fleet-wide: ${reason}`, {
    hint: "resume_trading lifts the pause once the reason no longer holds",
  });
}

function agentPaused(agentId: string, reason: string | null): FleetError {
  return new FleetError("TRADING_PAUSED", `trading is paused for ${agentId}: ${reason ?? "no reason given"}`, {
    hint: `resume_trading with agent_id ${agentId} lifts it`,
  });
}
