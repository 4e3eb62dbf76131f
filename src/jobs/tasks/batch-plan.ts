import { randomBytes } from "node:crypto";
import { FleetError } from "../../errors.js";
import { formatUsd, type Micros, microsToUsd, usdToMicros } from "../../money.js";
import {
  exactWinProbability,
  type GameBet,
  kellyMaxBet,
  nominalWinProbability,
  settle,
} from "../../purpleflea/fairness.js";
import { type BetArgs, type BetBatchArgs, MAX_BATCH_BETS, MAX_BETS_PER_BATCH } from "./args.js";

export { MAX_BATCH_BETS };

/**
 * Planning a bet batch: which agent places which bet, under which client seed, and what the batch costs
 * and is expected to return. Pure (no I/O), so the MCP batch tools can show a dry run that is exactly what
 * `submitBatch` would send.
 */

/** What the Kelly cap of an agent depends on: its server balance and its casino risk factor. */
export interface AgentBankroll {
  agentId: string;
  balance: Micros;
  /** the casino's `risk_factor`, 0.1–1.0 */
  riskFactor: number;
}

export interface PlanRequest {
  bet: GameBet;
  /**
   * The bet an agent places as its `agentBet`-th bet (0-based) when bets vary within the batch (coin flip
   * `alternate`). Every variant must price like `bet` (same payout and win chance): the plan prices `bet` once.
   */
  betAt?: (agentBet: number) => GameBet;
  /** 1–MAX_BATCH_BETS */
  count: number;
  /** stake of each bet, ≥ $0.01 */
  amount: Micros;
  /** the agents to spread over, round-robin in this order */
  agents: readonly AgentBankroll[];
  priority?: number;
  origin?: string;
  /** prefix of every client seed; default a fresh random one (seeds must be unique forever) */
  seedPrefix?: string;
}

export interface AgentAllocation {
  agentId: string;
  bets: number;
  stake: Micros;
  balance: Micros;
  riskFactor: number;
  /** the server's per-bet Kelly cap at this balance: round2(balance × risk_factor × win probability) */
  kellyCap: Micros;
  withinKelly: boolean;
}

/** The game's real economics next to what its price assumes (they differ for dice under and crash). */
export interface GameEconomics {
  payoutMultiplier: number;
  /** over all 10,000 equally likely rolls */
  winProbability: number;
  /** what the payout is priced on (and what the Kelly cap uses) */
  pricedWinProbability: number;
  /** 1 − winProbability × multiplier */
  houseEdge: number;
  pricedHouseEdge: number;
}

export interface BatchPlan {
  bet: GameBet;
  count: number;
  amount: Micros;
  priority: number;
  origin: string;
  bets: BetArgs[];
  agents: AgentAllocation[];
  totalStake: Micros;
  /** the smallest per-bet Kelly cap among the agents: the largest stake every agent may place now */
  kellyCap: Micros;
  economics: GameEconomics;
  /** Σ stake × (p × multiplier − 1), rounded to the micro; negative for every game */
  expectedValue: Micros;
  /** things a user should know before sending (edge quirks, balances) */
  warnings: string[];
}

/** The casino's minimum bet, $0.01: a Kelly cap below it allows no bet at all. */
export const MIN_STAKE: Micros = 10_000;
/** Differences below this are rounding, not a quirk worth a warning. */
const EDGE_NOTICE = 0.001;

export function planBatch(req: PlanRequest): BatchPlan {
  validate(req);
  const prefix = req.seedPrefix ?? `pfb-${randomBytes(8).toString("hex")}`;
  const economics = gameEconomics(req.bet);
  const variants = new Map<string, GameBet>();
  const bets: BetArgs[] = [];
  for (let i = 0; i < req.count; i++) {
    const agent = req.agents[i % req.agents.length] as AgentBankroll;
    // Round-robin: bet i goes to agent i mod n and is that agent's (i div n)-th bet.
    const bet = req.betAt ? variant(variants, req.betAt(Math.floor(i / req.agents.length)), economics) : req.bet;
    bets.push({ agentId: agent.agentId, bet, amount: req.amount, clientSeed: `${prefix}-${i}` });
  }

  const agents = req.agents.map((a, index) => {
    const count = betsFor(index, req.count, req.agents.length);
    const kellyCap = usdToMicros(kellyMaxBet(microsToUsd(a.balance), a.riskFactor, req.bet));
    return {
      agentId: a.agentId,
      bets: count,
      stake: count * req.amount,
      balance: a.balance,
      riskFactor: a.riskFactor,
      kellyCap,
      withinKelly: req.amount <= kellyCap,
    };
  });
  const totalStake = req.count * req.amount;
  return {
    bet: req.bet,
    count: req.count,
    amount: req.amount,
    priority: req.priority ?? 5,
    origin: req.origin ?? "tool",
    bets,
    agents,
    totalStake,
    kellyCap: Math.min(...agents.map((a) => a.kellyCap)),
    economics,
    expectedValue: Math.round(totalStake * (economics.winProbability * economics.payoutMultiplier - 1)),
    warnings: warningsFor(req.bet, economics, agents, req.amount),
  };
}

/** An agent a batch without `agent_ids` leaves out, and why. */
export interface SkippedAgent {
  agentId: string;
  balance: Micros;
  kellyCap: Micros;
  reason: string;
}

/**
 * For a batch over "the fleet" (no `agent_ids`): the agents that can afford their share, in order, and the ones
 * left out. An agent is left out when its per-bet Kelly cap is below the stake (the server would refuse every bet)
 * or its balance does not cover its bets' stakes. Leaving one out gives the others more bets, so this repeats
 * until every agent kept covers its share; none kept means nobody can afford the batch.
 */
export function affordableAgents(
  bankrolls: readonly AgentBankroll[],
  req: Pick<PlanRequest, "bet" | "count" | "amount">,
): { agents: AgentBankroll[]; skipped: SkippedAgent[] } {
  let kept = [...bankrolls];
  const skipped: SkippedAgent[] = [];
  for (;;) {
    const out = new Set<string>();
    kept.forEach((a, index) => {
      const bets = betsFor(index, req.count, kept.length);
      const kellyCap = usdToMicros(kellyMaxBet(microsToUsd(a.balance), a.riskFactor, req.bet));
      const share = bets * req.amount;
      const reason =
        kellyCap < req.amount
          ? `its Kelly cap $${formatUsd(Math.max(kellyCap, 0))} (balance $${formatUsd(a.balance)}) is below the $${formatUsd(req.amount)} stake`
          : bets > 0 && share > a.balance
            ? `its balance $${formatUsd(a.balance)} does not cover its ${bets} bet(s), $${formatUsd(share)}`
            : undefined;
      if (reason === undefined) return;
      out.add(a.agentId);
      skipped.push({ agentId: a.agentId, balance: a.balance, kellyCap, reason });
    });
    if (out.size === 0) return { agents: kept, skipped };
    kept = kept.filter((a) => !out.has(a.agentId));
    if (kept.length === 0) return { agents: [], skipped };
  }
}

/**
 * One shared object per distinct variant (a 50,000-bet plan holds two, not 50,000), checked once to price like
 * the plan's bet: a variant that did not would make the plan's Kelly caps and expected value wrong.
 */
function variant(seen: Map<string, GameBet>, bet: GameBet, priced: GameEconomics): GameBet {
  const key = JSON.stringify(bet);
  const known = seen.get(key);
  if (known) return known;
  const e = gameEconomics(bet);
  const alike =
    e.payoutMultiplier === priced.payoutMultiplier &&
    e.winProbability === priced.winProbability &&
    e.pricedWinProbability === priced.pricedWinProbability;
  if (!alike) {
    throw new FleetError("INVALID_INPUT", `bet ${key} is priced unlike the batch's bet; one plan prices one bet`, {
      hint: "plan bets that pay and win differently as separate batches",
    });
  }
  seen.set(key, bet);
  return bet;
}

/**
 * The plan as `bets/batch` calls: each agent's bets in plan order, ≤ 20 per call. One call is one job, so a
 * 10,000-bet plan is ~500 jobs, not 10,000; every bet in it keeps its own client seed, receipt and ledger row.
 * The server takes mixed bets in one call (purpleflea-api.md §12), so bets that differ (alternating sides) share
 * a call and travel as `bets`, one per seed; only a different stake starts a new call.
 */
export function betBatches(plan: Pick<BatchPlan, "bets">): BetBatchArgs[] {
  const open = new Map<string, { call: BetBatchArgs; bets: GameBet[] }>();
  const out: Array<{ call: BetBatchArgs; bets: GameBet[] }> = [];
  for (const b of plan.bets) {
    let o = open.get(b.agentId);
    if (!o || o.call.clientSeeds.length >= MAX_BETS_PER_BATCH || o.call.amount !== b.amount) {
      o = { call: { agentId: b.agentId, bet: b.bet, amount: b.amount, clientSeeds: [] }, bets: [] };
      open.set(b.agentId, o);
      out.push(o);
    }
    o.call.clientSeeds.push(b.clientSeed);
    o.bets.push(b.bet);
  }
  // `bets` only where a call mixes: a uniform call keeps the compact shape every job row had before.
  return out.map(({ call, bets }) => (bets.every((x) => sameBet(x, call.bet)) ? call : { ...call, bets }));
}

function sameBet(a: GameBet, b: GameBet): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

export function gameEconomics(bet: GameBet): GameEconomics {
  // The multiplier does not depend on the roll; any roll prices it.
  const payoutMultiplier = settle(bet, 0).payoutMultiplier;
  const winProbability = exactWinProbability(bet);
  const pricedWinProbability = nominalWinProbability(bet);
  return {
    payoutMultiplier,
    winProbability,
    pricedWinProbability,
    houseEdge: 1 - winProbability * payoutMultiplier,
    pricedHouseEdge: 1 - pricedWinProbability * payoutMultiplier,
  };
}

/** Agent `index` of `agents` gets every agents-th bet, starting at bet `index`. */
function betsFor(index: number, count: number, agents: number): number {
  return Math.floor(count / agents) + (index < count % agents ? 1 : 0);
}

function warningsFor(bet: GameBet, e: GameEconomics, agents: AgentAllocation[], amount: Micros): string[] {
  const out: string[] = [];
  const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
  if (e.houseEdge - e.pricedHouseEdge > EDGE_NOTICE) {
    out.push(
      `the real house edge is ${pct(e.houseEdge)}, not the ${pct(e.pricedHouseEdge)} the payout is priced at: ` +
        `it wins ${pct(e.winProbability)} of rolls, priced as ${pct(e.pricedWinProbability)}` +
        (bet.game === "dice" && bet.direction === "under" ? " (dice under t wins only below t, i.e. (t−1)/100)" : ""),
    );
  }
  for (const a of agents) {
    if (!a.withinKelly) {
      out.push(
        `${a.agentId}: stake $${formatUsd(amount)} is above its Kelly cap $${formatUsd(a.kellyCap)} ` +
          `(balance $${formatUsd(a.balance)}); the server would refuse these bets`,
      );
    } else if (a.stake > a.balance) {
      out.push(
        `${a.agentId}: its ${a.bets} bets stake $${formatUsd(a.stake)} in all, more than its balance ` +
          `$${formatUsd(a.balance)}; later bets fail once losses shrink the balance or its Kelly cap`,
      );
    }
  }
  return out;
}

function validate(req: PlanRequest): void {
  if (!Number.isInteger(req.count) || req.count < 1 || req.count > MAX_BATCH_BETS) {
    throw new FleetError("INVALID_INPUT", `count must be an integer 1–${MAX_BATCH_BETS}, got \`${req.count}\``);
  }
  if (!Number.isSafeInteger(req.amount) || req.amount < MIN_STAKE) {
    throw new FleetError("INVALID_INPUT", `amount must be whole micro-USD ≥ 10000 ($0.01), got \`${req.amount}\``);
  }
  if (req.agents.length === 0) {
    throw new FleetError("INVALID_INPUT", "a batch needs at least one agent, got none", {
      hint: "register an agent first, or resume paused agents",
    });
  }
  const seen = new Set<string>();
  for (const a of req.agents) {
    if (seen.has(a.agentId)) throw new FleetError("INVALID_INPUT", `agent \`${a.agentId}\` is listed twice`);
    seen.add(a.agentId);
  }
  if (req.seedPrefix !== undefined && !/^[A-Za-z0-9_-]{4,48}$/.test(req.seedPrefix)) {
    throw new FleetError(
      "INVALID_INPUT",
      `seedPrefix must be 4–48 characters of A–Z, a–z, 0–9, _ or -, got \`${req.seedPrefix}\``,
    );
  }
}
