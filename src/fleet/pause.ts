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
 * What a refusal by the kill switch is about, for its message and hint: `trading` (bets), or another money
 * movement (`an escrow create`, `a transfer`, …). `jobId` is set when a queued job is refused at send time: the
 * hint then says how to send it once the pause is lifted.
 */
export interface PauseContext {
  action?: string;
  jobId?: string;
}

/**
 * NOT_FOUND for an agent the fleet does not know (`state` undefined); TRADING_PAUSED if the fleet or the agent is
 * paused. `state` comes from the risk read, which takes both switches and the agent in one go.
 */
export function assertCanTrade(agentId: string, state: AgentRiskState | undefined, ctx: PauseContext = {}): void {
  if (!state) throw unknownAgent(agentId);
  if (state.fleetPauseReason !== null) throw fleetPaused(state.fleetPauseReason, ctx);
  if (state.paused) throw agentPaused(agentId, state.pauseReason, ctx);
}

export function fleetPaused(reason: string, ctx: PauseContext = {}): FleetError {
  const what = ctx.action
    ? `money movement is paused fleet-wide, so ${ctx.action} is not sent`
    : "trading is paused fleet-wide";
  return new FleetError("TRADING_PAUSED", `${what}: ${reason}`, {
    hint: resumeHint("resume_trading lifts the pause once the reason no longer holds", ctx),
  });
}

function agentPaused(agentId: string, reason: string | null, ctx: PauseContext): FleetError {
  const what = ctx.action
    ? `money movement is paused for ${agentId}, so ${ctx.action} is not sent`
    : `trading is paused for ${agentId}`;
  return new FleetError("TRADING_PAUSED", `${what}: ${reason ?? "no reason given"}`, {
    hint: resumeHint(`resume_trading with agent_id ${agentId} lifts it`, ctx),
  });
}

function resumeHint(base: string, ctx: PauseContext): string {
  if (ctx.jobId) return `${base}; nothing was sent — retry_job ${ctx.jobId} then sends this job`;
  return ctx.action ? `${base}; nothing was written or sent` : base;
}
