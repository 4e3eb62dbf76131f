/**
 * What each money tool puts to the user before a live money move (src/mcp/confirm.ts): the plan's worst case, its
 * lines for a person, and the operator's limits that apply with today's headroom.
 */
import { randomBytes } from "node:crypto";
import type { FleetDeps } from "../src/deps.js";
import { toFleetError } from "../src/errors.js";
import type { BatchPlan } from "../src/jobs/tasks/batch-plan.js";
import { fleetEscrowIds } from "../src/jobs/tasks/escrow-settle.js";
import type { MoneyPlan } from "../src/mcp/confirm.js";
import { planArgs } from "../src/mcp/confirm.js";
import { lossesToday } from "../src/mcp/risk-view.js";
import { formatUsd, type Micros, usdToMicros } from "../src/money.js";
import { type EscrowView, loadEscrow, toEscrowView } from "./_escrow.js";

const usd = (m: Micros) => `$${formatUsd(m)}`;

/** A bet batch: every stake lost is the worst case. */
export function batchMoneyPlan(
  deps: FleetDeps,
  tool: string,
  args: Record<string, unknown>,
  plan: BatchPlan,
  label: string,
): MoneyPlan {
  return {
    tool,
    args: planArgs(args),
    resolved: { agents: plan.agents.map((a) => ({ agent_id: a.agentId, bets: a.bets, stake: a.stake })) },
    worstCase: plan.totalStake,
    lines: [
      `${label}: ${plan.count} bet(s) of ${usd(plan.amount)} each, ${usd(plan.totalStake)} staked in all`,
      `across ${plan.agents.length} agent(s): ${plan.agents.map((a) => `${a.agentId} ${a.bets} bet(s) ${usd(a.stake)}`).join("; ")}`,
      `worst case: every bet lost, ${usd(plan.totalStake)}`,
    ],
    limits: () =>
      betLimitLines(
        deps,
        plan.agents.map((a) => a.agentId),
        plan.totalStake,
      ),
  };
}

async function betLimitLines(deps: FleetDeps, agentIds: string[], total: Micros): Promise<string[]> {
  const [limits, losses, money] = await Promise.all([deps.fleet.limits(), lossesToday(deps), deps.fleet.moneyToday()]);
  const perAgent = await Promise.all(
    agentIds.map(async (id) => {
      const own = await deps.fleet.limitsFor(id);
      const used = (losses.byAgent.get(id) ?? 0) + (money.reservedStake.byAgent.get(id) ?? 0);
      return `${id}: daily loss limit ${usd(own.dailyLossLimit)}, headroom ${usd(Math.max(0, own.dailyLossLimit - used))}`;
    }),
  );
  const fleetUsed = losses.fleet + money.reservedStake.fleet;
  return [
    `max bet ${usd(limits.maxBet)}; max batch ${usd(limits.maxBatch)} (this batch ${usd(total)})`,
    ...perAgent,
    `fleet daily loss limit ${usd(limits.fleetDailyLossLimit)}, headroom ${usd(Math.max(0, limits.fleetDailyLossLimit - fleetUsed))}`,
  ];
}

/** An escrow create: the amount is locked at once and, released, paid out. */
export function escrowCreateMoneyPlan(
  deps: FleetDeps,
  args: Record<string, unknown> & { agent_id: string; counterparty_agent_id: string; amount: Micros },
): MoneyPlan {
  return {
    tool: "create_escrow_chain",
    args: planArgs(args),
    resolved: { payer: args.agent_id, payee: args.counterparty_agent_id, amount: args.amount },
    worstCase: args.amount,
    lines: [
      `escrow ${usd(args.amount)} from ${args.agent_id} to ${args.counterparty_agent_id}: locked now, released (99% to the counterparty) only if validation passes`,
      `worst case: the whole ${usd(args.amount)}`,
    ],
    limits: async () => {
      const [limits, money] = await Promise.all([deps.fleet.limitsFor(args.agent_id), deps.fleet.moneyToday()]);
      const used = money.escrow.spent + money.escrow.reserved;
      return [
        `max escrow ${usd(limits.maxEscrow)} (this one ${usd(args.amount)})`,
        `fleet daily escrow ${usd(limits.dailyEscrow)}, headroom ${usd(Math.max(0, limits.dailyEscrow - used))}`,
      ];
    },
  };
}

/** Releases of funded or completed escrows: what leaves the creators is the escrows' amounts. */
export function releaseMoneyPlan(
  tool: string,
  args: Record<string, unknown>,
  escrows: ReadonlyArray<{ view: EscrowView; agentId: string; amount: Micros }>,
): MoneyPlan {
  const worstCase = escrows.reduce((n, e) => n + e.amount, 0);
  return {
    tool,
    args: planArgs(args),
    resolved: {
      releases: escrows.map((e) => ({ escrow_id: e.view.escrow_id, creator: e.agentId, amount: e.amount })),
    },
    worstCase,
    lines: [
      ...escrows.map(
        (e) =>
          `release ${e.view.escrow_id} as ${e.agentId}: ${usd(e.amount)} escrow, $${e.view.net_to_counterparty_usd} to ${e.view.counterparty_id} (irreversible)`,
      ),
      `worst case: ${usd(worstCase)} leaves the fleet's escrows`,
    ],
    limits: async () => [
      "no operator limit caps a release (each amount was checked when its escrow was created); pause_trading stops releases",
    ],
  };
}

/** A domain purchase: the quoted price. */
export function domainMoneyPlan(
  args: Record<string, unknown>,
  accountId: string,
  domain: string,
  price: Micros,
): MoneyPlan {
  return {
    tool: "register_domain",
    args: planArgs(args),
    resolved: { account_id: accountId, domain, price },
    worstCase: price,
    lines: [`register ${domain} for about ${usd(price)} from domains account ${accountId} (irreversible spend)`],
    limits: async () => [
      args.max_price_usd === undefined
        ? "no operator limit caps a domain purchase; max_price_usd was not given"
        : `max_price_usd ${usd(args.max_price_usd as Micros)}`,
    ],
  };
}

const PROBE_ROLLBACK = new Error("rollback: a limit check only");

/**
 * The escrow or transfer limits and the kill switch as the real reservation checks them (same code, same messages),
 * in a transaction that is always rolled back: a refusal throws, a pass writes nothing.
 */
export async function assertSpendAllowed(
  deps: FleetDeps,
  kind: "escrow" | "transfer",
  hold: { agentId: string; amount: Micros },
): Promise<void> {
  const jobKey = `probe:${randomBytes(8).toString("hex")}`;
  try {
    await deps.storage.transaction(async (tx) => {
      await deps.fleet.reserveSpend(kind, { jobKey, ...hold }, { tx });
      throw PROBE_ROLLBACK;
    });
  } catch (err) {
    if (err !== PROBE_ROLLBACK) throw err;
  }
}

/** What a settlement would do now: the escrows it would release (the plan) and the ones it would skip, with why. */
export interface SettlePlan {
  money: MoneyPlan;
  releasable: string[];
  skipped: Array<{ escrowId: string; status: string; reason: string }>;
}

/**
 * Reads each escrow a settlement would look at (the listed ones, or the fleet's of the last 31 days) the way the
 * settlement does: those created by a fleet agent and marked `completed` now are the plan; the rest are skipped.
 */
export async function settlePlan(
  deps: FleetDeps,
  args: Record<string, unknown> & { escrow_ids?: string[] | undefined },
  signal: AbortSignal,
): Promise<SettlePlan> {
  const explicit = args.escrow_ids !== undefined;
  const ids = args.escrow_ids ? [...new Set(args.escrow_ids)] : await fleetEscrowIds(deps);
  const releases: Array<{ view: EscrowView; agentId: string; amount: Micros }> = [];
  const skipped: SettlePlan["skipped"] = [];
  for (const escrowId of ids) {
    let view: EscrowView;
    try {
      view = await toEscrowView(deps, await loadEscrow(deps, escrowId, signal));
    } catch (err) {
      if (signal.aborted) throw err;
      skipped.push({ escrowId, status: "unknown", reason: `could not be read: ${toFleetError(err).message}` });
      continue;
    }
    if (!explicit && (view.status === "released" || view.status === "refunded")) continue;
    if (!view.creator_in_fleet) {
      skipped.push({ escrowId, status: view.status, reason: `created by ${view.creator_id}, not a fleet agent` });
    } else if (view.status !== "completed") {
      skipped.push({ escrowId, status: view.status, reason: "not marked completed by the counterparty" });
    } else {
      releases.push({ view, agentId: view.creator_id, amount: usdToMicros(view.amount_usd) });
    }
  }
  return {
    money: releaseMoneyPlan("settle_escrows", args, releases),
    releasable: releases.map((r) => r.view.escrow_id),
    skipped,
  };
}
