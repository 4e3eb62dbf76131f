import type { FleetConfig } from "../config.js";
import type { Db } from "../db.js";
import { createAgentRepo } from "./agents.js";
import { createDailyLoss } from "./daily-loss.js";
import { createLimits } from "./limits.js";
import { createPauseSwitch } from "./pause.js";
import { createRiskChecks } from "./risk.js";
import { migrateFleet } from "./schema.js";
import type { FleetStore } from "./types.js";

export interface FleetStoreOptions {
  /** clock for "today (UTC)" and timestamps; tests move it */
  now?: () => number;
}

/**
 * The fleet: agents and their keys, domain accounts, the operator's limits with tighten-only overrides, the
 * kill switch, and the risk checks every bet passes. Everything persists in the given database.
 */
export function createFleetStore(
  db: Db,
  config: Pick<FleetConfig, "limits">,
  opts: FleetStoreOptions = {},
): FleetStore {
  const now = opts.now ?? Date.now;
  migrateFleet(db);
  const agents = createAgentRepo(db, now);
  const limits = createLimits(db, config.limits, now);
  const pause = createPauseSwitch(db, now);
  const loss = createDailyLoss(db, now);
  const risk = createRiskChecks({
    assertCanTrade: pause.assertCanTrade,
    limits: limits.limits,
    lossToday: loss.agent,
    fleetLossToday: loss.fleet,
  });

  return {
    addAgent: agents.addAgent,
    listAgents: agents.listAgents,
    getAgent: agents.getAgent,
    keyFor: agents.keyFor,
    addDomainAccount: agents.addDomainAccount,
    listDomainAccounts: agents.listDomainAccounts,
    domainKeyFor: agents.domainKeyFor,

    limits: limits.limits,
    limitsFor: (agentId) => {
      agents.requireAgent(agentId);
      return limits.limitsFor(agentId);
    },
    tighten: (change, agentId) => {
      if (agentId !== undefined) agents.requireAgent(agentId);
      return limits.tighten(change, agentId);
    },

    pauseState: pause.state,
    pause: pause.pause,
    resume: pause.resume,

    assertCanBet: risk.assertCanBet,
    assertCanPlaceBatch: risk.assertCanPlaceBatch,
  };
}
