import type { Mode } from "../../config.js";
import type { FleetDeps } from "../../deps.js";
import { FleetError, toFleetError } from "../../errors.js";
import type { FleetStore } from "../../fleet/types.js";
import { localBalance } from "../../ledger/index.js";
import { formatUsd } from "../../money.js";
import { readWithRetry } from "../../purpleflea/read-retry.js";
import type { JobRow } from "../types.js";
import { TASK } from "./args.js";
import { type AgentBankroll, type BatchPlan, betBatches, MIN_STAKE } from "./batch-plan.js";

/**
 * From a plan to jobs: the bankrolls a plan needs, the checks that must pass before anything is enqueued,
 * and the chord of `casino.bet_batch` members (one per `bets/batch` call) with `aggregate_bet_results` as its
 * callback.
 */

/**
 * Every listed agent's balance and risk factor from `GET /auth/balance` (read-only). An empty list means
 * every fleet agent that is not paused.
 */
export async function loadBankrolls(
  deps: Pick<FleetDeps, "fleet" | "client">,
  agentIds: readonly string[],
  signal?: AbortSignal,
): Promise<AgentBankroll[]> {
  const ids = agentIds.length > 0 ? [...agentIds] : await activeAgents(deps.fleet);
  if (ids.length === 0) {
    throw new FleetError("INVALID_INPUT", "the fleet has no unpaused agent to bet with", {
      hint: "register an agent, or resume trading",
    });
  }
  return Promise.all(
    ids.map(async (agentId) => {
      const key = await deps.fleet.keyFor(agentId);
      // a transient failure of this read would refuse the whole batch; the read is safe to ask again
      const b = await readWithRetry(() => deps.client.casino.balance(key, signal ? { signal } : {}), { signal });
      return { agentId, balance: b.balance, riskFactor: b.riskFactor };
    }),
  );
}

/** The casino's `risk_factor` for an agent that never changed it (purpleflea-api.md §2.4). */
export const CASINO_DEFAULT_RISK_FACTOR = 0.25;

/** An agent a dry run had to price from the local ledger, and why its server read failed. */
export interface BankrollFallback {
  agentId: string;
  /** pf-fleet's error code of the failed read (UPSTREAM_UNAVAILABLE, RATE_LIMITED, …) */
  code: string;
  message: string;
}

/**
 * The bankrolls a dry run prices with: the same read-only `GET /auth/balance` a real run makes, so both show
 * the same Kelly caps (a guessed risk factor showed $0.56 where the real cap was $2.24). An agent whose read
 * fails is priced from its local ledger balance at the casino's default risk factor and listed in `fallbacks`,
 * so the answer can say what it guessed: a dry run still answers, and sends nothing that moves money.
 */
export async function peekBankrolls(
  deps: Pick<FleetDeps, "fleet" | "client" | "storage">,
  agentIds: readonly string[],
  signal?: AbortSignal,
): Promise<{ bankrolls: AgentBankroll[]; fallbacks: BankrollFallback[] }> {
  const fallbacks: BankrollFallback[] = [];
  const bankrolls = await Promise.all(
    agentIds.map(async (agentId): Promise<AgentBankroll> => {
      try {
        const [read] = await loadBankrolls(deps, [agentId], signal);
        return read as AgentBankroll;
      } catch (err) {
        const e = toFleetError(err);
        fallbacks.push({ agentId, code: e.code, message: e.message });
        const balance = await localBalance(deps.storage, agentId);
        return { agentId, balance, riskFactor: CASINO_DEFAULT_RISK_FACTOR };
      }
    }),
  );
  // in the order the agents were asked for, not the order the reads failed in
  fallbacks.sort((a, b) => agentIds.indexOf(a.agentId) - agentIds.indexOf(b.agentId));
  return { bankrolls, fallbacks };
}

async function activeAgents(fleet: FleetStore): Promise<string[]> {
  const state = await fleet.pauseState();
  if (state.fleetPaused) {
    throw new FleetError("TRADING_PAUSED", `trading is paused fleet-wide${state.reason ? `: ${state.reason}` : ""}`, {
      hint: "resume trading first (resume_trading); nothing was sent",
    });
  }
  return (await fleet.listAgents())
    .filter((a) => !a.paused && !state.pausedAgents.includes(a.agentId))
    .map((a) => a.agentId);
}

/**
 * Refuses a plan the server or the operator's limits would refuse, before anything is written: a stake
 * above an agent's Kelly cap (KELLY_LIMIT_EXCEEDED), then the fleet's risk limits and kill switch
 * (LIMIT_EXCEEDED, TRADING_PAUSED).
 */
export async function assertPlanAllowed(fleet: FleetStore, plan: BatchPlan, mode?: Mode): Promise<void> {
  const over = plan.agents.filter((a) => !a.withinKelly);
  if (over.length > 0) {
    const worst = over.reduce((a, b) => (b.kellyCap < a.kellyCap ? b : a));
    const broke = over.filter((a) => a.kellyCap < MIN_STAKE).map((a) => a.agentId);
    throw new FleetError(
      "KELLY_LIMIT_EXCEEDED",
      `stake $${formatUsd(plan.amount)} is above the Kelly cap of ${over.map((a) => `${a.agentId} ($${formatUsd(Math.max(a.kellyCap, 0))})`).join(", ")}`,
      {
        // a cap below the casino's minimum bet allows no stake at all: only money helps (never "≤ $0.00")
        hint:
          broke.length > 0
            ? `${fundingHint(mode, broke)}; or leave them out of agent_ids (omitted, agents that cannot afford their share are skipped)`
            : `lower the stake to ≤ $${formatUsd(worst.kellyCap)}, or bet with agents whose balance is larger`,
        details: { kellyCaps: Object.fromEntries(over.map((a) => [a.agentId, a.kellyCap])) },
      },
    );
  }
  await fleet.assertCanPlaceBatch(plan.bets.map((b) => ({ agentId: b.agentId, stake: b.amount })));
}

/** How agents too poor to bet get money, in words a model can act on in this mode. */
export function fundingHint(mode: Mode | undefined, agentIds: readonly string[]): string {
  const who = agentIds.join(", ");
  if (mode === "sandbox") {
    return `fund ${who}: claim_faucet ($1, once per agent; one claim per IP per 24 h), or sandbox_fund_agent (play money)`;
  }
  if (mode === "live")
    return `fund ${who} with a deposit (or claim_faucet: $1, once per new agent, one per IP per 24 h)`;
  return `fund ${who} (claim_faucet: $1, once per new agent; otherwise a deposit)`;
}

export interface SubmitOptions {
  /** the job that submits (casino.place_batch); a second run of it returns the first chord, never a second */
  submittedBy?: string;
}

/**
 * Checks the plan, then enqueues its chord; returns the chord row (its id is what callers wait on).
 * With `submittedBy`, a second call for the same job returns the chord the first call made. (A crash between
 * the chord and that record is covered by the caller planning with a seed prefix derived from its job id:
 * the same client seeds again are refused by the engine's unique idempotency keys, so no bet is doubled.)
 */
export async function submitBatch(
  deps: Pick<FleetDeps, "engine" | "fleet" | "storage"> & Partial<Pick<FleetDeps, "mode">>,
  plan: BatchPlan,
  opts: SubmitOptions = {},
): Promise<JobRow> {
  if (opts.submittedBy !== undefined) {
    const existing = await deps.storage.taskMemory.submittedChord(opts.submittedBy);
    const row = existing === undefined ? undefined : await deps.engine.get(existing);
    if (row) return row;
  }
  await assertPlanAllowed(deps.fleet, plan, deps.mode);
  const calls = betBatches(plan);
  const spec = {
    members: calls.map((args) => ({ task: TASK.betBatch, args })),
    callback: { task: TASK.aggregateBets, args: { origin: plan.origin } },
    priority: plan.priority,
  };
  const { submittedBy } = opts;
  // the chord, its stakes reserved against the daily loss limits (atomically with every other process; a member's
  // reservation is tied to its idempotency key, the first client seed — casino-bet-batch.ts) and the record of who
  // submitted it commit together: a re-run finds one or the other, never half
  return deps.storage.transaction(async (tx) => {
    const chord = await deps.engine.chord(spec, { tx });
    const stakes = calls.map((c) => ({
      jobKey: c.clientSeeds[0] as string,
      agentId: c.agentId,
      amount: c.amount * c.clientSeeds.length,
    }));
    await deps.fleet.reserveStakes(stakes, tx);
    if (submittedBy !== undefined) await tx.taskMemory.rememberSubmission(submittedBy, chord.id, Date.now());
    return chord;
  });
}
