import type { FleetConfig } from "../config.js";
import { FleetError } from "../errors.js";
import type { Executor } from "../storage/types.js";
import { createAgentRepo } from "./agents.js";
import { realisedLoss, utcDayStart } from "./daily-loss.js";
import type { KeyVault } from "./key-vault.js";
import { type ConfiguredLimits, createLimits, effectiveLimits, withSpendDefaults } from "./limits.js";
import { assertCanTrade, createPauseSwitch, fleetPaused } from "./pause.js";
import { createReservations } from "./reserve.js";
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
  config: { limits: ConfiguredLimits } | Pick<FleetConfig, "limits">,
  opts: FleetStoreOptions,
): FleetStore {
  const now = opts.now ?? Date.now;
  const repo = storage.fleet;
  const configured = withSpendDefaults(config.limits);
  const agents = createAgentRepo(repo, opts.vault, now);
  const limits = createLimits(repo, configured, now);
  const pause = createPauseSwitch(repo, now);
  const reservations = createReservations(configured, now);
  const risk = createRiskChecks({
    async read(agentIds) {
      const snapshot = await repo.riskSnapshot(agentIds, utcDayStart(now()));
      return {
        assertCanTrade: (agentId) => assertCanTrade(agentId, snapshot.agents.get(agentId)),
        limits: effectiveLimits(configured, snapshot.overrides),
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

    async assertCanMoveMoney(agentId, ctx = {}) {
      const snapshot = await repo.riskSnapshot([agentId], utcDayStart(now()));
      assertCanTrade(agentId, snapshot.agents.get(agentId), { ...ctx, action: ctx.action ?? "this payment" });
    },
    async assertFleetActive(ctx = {}) {
      const { fleetReason } = await repo.pauseState();
      if (fleetReason !== null) throw fleetPaused(fleetReason, { ...ctx, action: ctx.action ?? "this payment" });
    },
    reserveStakes: (stakes, tx) => reservations.reserveStakes((tx ?? storage).fleet, stakes),
    reserveSpend: (kind, hold, o = {}) =>
      reservations.reserveSpend((o.tx ?? storage).fleet, kind, hold, o.jobId ? { jobId: o.jobId } : {}),
    async moneyToday() {
      const { money } = await repo.riskSnapshot([], utcDayStart(now()), { money: true });
      if (!money) throw new FleetError("INTERNAL", "the storage did not read the money in flight");
      return {
        reservedStake: { fleet: money.fleetStake, byAgent: new Map(money.stakeByAgent) },
        escrow: money.escrowToday,
        transfer: money.transferToday,
      };
    },
    liveReservations: () => repo.liveReservations(),
  };
}
