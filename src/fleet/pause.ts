import type { Db } from "../db.js";
import { FleetError } from "../errors.js";
import { unknownAgent } from "./agents.js";
import type { PauseState } from "./types.js";

/** The kill switch: fleet-wide and per agent, persisted so a restart does not resume trading by itself. */
export function createPauseSwitch(db: Db, now: () => number) {
  const selectFleet = db.prepare("SELECT reason FROM fleet_pause WHERE id = 1").pluck();
  const selectPaused = db.prepare("SELECT agent_id FROM fleet_agents WHERE paused = 1 ORDER BY agent_id").pluck();
  const setFleet = db.prepare(
    "INSERT INTO fleet_pause (id, reason, paused_at) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET reason = excluded.reason",
  );
  const clearFleet = db.prepare("DELETE FROM fleet_pause WHERE id = 1");
  const setAgent = db.prepare("UPDATE fleet_agents SET paused = ?, pause_reason = ? WHERE agent_id = ?");
  // both switches and whether the agent exists, in one read: this runs before every bet
  const tradingState = db.prepare(
    `SELECT a.paused, a.pause_reason, (SELECT reason FROM fleet_pause WHERE id = 1) AS fleet_reason
     FROM fleet_agents a WHERE a.agent_id = ?`,
  );

  function state(): PauseState {
    const reason = selectFleet.get() as string | undefined;
    return { fleetPaused: reason !== undefined, reason: reason ?? null, pausedAgents: selectPaused.all() as string[] };
  }

  return {
    state,

    pause({ agentId, reason }: { agentId?: string; reason: string }): PauseState {
      const why = reason.trim();
      if (!why) throw new FleetError("INVALID_INPUT", "a pause needs a reason, got an empty one");
      if (agentId === undefined) setFleet.run(why, now());
      else if (setAgent.run(1, why, agentId).changes === 0) throw unknownAgent(agentId);
      return state();
    },

    resume({ agentId }: { agentId?: string }): PauseState {
      if (agentId === undefined) clearFleet.run();
      else if (setAgent.run(0, null, agentId).changes === 0) throw unknownAgent(agentId);
      return state();
    },

    /** NOT_FOUND for an agent the fleet does not know; TRADING_PAUSED if the fleet or the agent is paused. */
    assertCanTrade(agentId: string): void {
      const row = tradingState.get(agentId) as
        | { paused: number; pause_reason: string | null; fleet_reason: string | null }
        | undefined;
      if (!row) throw unknownAgent(agentId);
      if (row.fleet_reason !== null) throw fleetPaused(row.fleet_reason);
      if (row.paused === 1) throw agentPaused(agentId, row.pause_reason);
    },
  };
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
