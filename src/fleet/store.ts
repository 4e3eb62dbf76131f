import type { FleetConfig } from "../config.js";
import type { Executor } from "../storage/types.js";
import { createAgentRepo } from "./agents.js";
import { realisedLoss, utcDayStart } from "./daily-loss.js";
import type { KeyVault } from "./key-vault.js";
import { createLimits, effectiveLimits } from "./limits.js";
import { assertCanTrade, createPauseSwitch } from "./pause.js";
import { createRiskChecks } from "./risk.js";
import type { FleetStore } from "./types.js";

export interface FleetStoreOptions {
  /** seals keys before they are stored and opens them when used (key-vault.ts) */
  vault: KeyVault;
  /** clock for "today (UTC)" and timestamps; tests move it */
  now?: () => number;
}

/**
 * The fleet: agents and their keys, domain accounts, the operator's limits with tighten-only overrides, the
 * kill switch, and the risk checks every bet passes. Everything persists through the storage's fleet repository
 * (its tables are migrated when the storage opens).
 */
export function createFleetStore(
  storage: Pick<Executor, "fleet">,
  config: Pick<FleetConfig, "limits">,
  opts: FleetStoreOptions,
): FleetStore {
  const now = opts.now ?? Date.now;
  const repo = storage.fleet;
  const agents = createAgentRepo(repo, opts.vault, now);
  const limits = createLimits(repo, config.limits, now);
  const pause = createPauseSwitch(repo, now);
  const risk = createRiskChecks({
    async read(agentIds) {
      const snapshot = await repo.riskSnapshot(agentIds, utcDayStart(now()));
      return {
        assertCanTrade: (agentId) => assertCanTrade(agentId, snapshot.agents.get(agentId)),
        limits: effectiveLimits(config.limits, snapshot.overrides),
        lossToday: (agentId) => realisedLoss(snapshot.agents.get(agentId)?.netToday ?? 0),
        fleetLossToday: realisedLoss(snapshot.fleetNetToday),
      };
    },
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
    limitsFor: async (agentId) => {
      await agents.requireAgent(agentId);
      return limits.limitsFor(agentId);
    },
    tighten: async (change, agentId) => {
      if (agentId !== undefined) await agents.requireAgent(agentId);
      return limits.tighten(change, agentId);
    },

    pauseState: pause.state,
    pause: pause.pause,
    resume: pause.resume,

    assertCanBet: risk.assertCanBet,
    assertCanPlaceBatch: risk.assertCanPlaceBatch,
  };
}
