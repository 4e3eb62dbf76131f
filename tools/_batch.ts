/**
 * The three batch tools (crash, coin flip, dice) differ only in their game fields; this is everything else:
 * the shared input and output shapes, agent selection, the plan (dry run), the risk checks that run before
 * anything is sent, the chord, the bounded wait and the summary.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import type { BetAggregate } from "../src/jobs/index.js";
import {
  type AgentBankroll,
  affordableAgents,
  type BatchPlan,
  MAX_BATCH_BETS,
  planBatch,
  type SkippedAgent,
} from "../src/jobs/tasks/batch-plan.js";
import {
  assertPlanAllowed,
  CASINO_DEFAULT_RISK_FACTOR,
  loadBankrolls,
  peekBankrolls,
  submitBatch,
} from "../src/jobs/tasks/batch-submit.js";
import { FLEET_VIEW_META } from "../src/mcp/apps/fleet-view.js";
import {
  confirmToken,
  confirmTokenFor,
  confirmTokenLine,
  confirmTokenOut,
  requireConfirmation,
} from "../src/mcp/confirm.js";
import { agentId, modeField, usd, waitSeconds } from "../src/mcp/schemas.js";
import type { StartedJob } from "../src/mcp/tasks.js";
import { registerTool, type ToolContext } from "../src/mcp/tool.js";
import { type AwaitedJob, awaitJob, pendingSummary } from "../src/mcp/wait.js";
import { formatUsd, microsToUsd } from "../src/money.js";
import type { GameBet } from "../src/purpleflea/fairness.js";
import { unknownAgents } from "./_agents.js";
import { dryRunText, issue, noneCanAfford, planOut, planView, refusal, skippedText } from "./_batch-plan.js";
import { batchAggregate, batchProgress, summaryOut, summaryText, summaryView } from "./_batch-summary.js";
import { batchMoneyPlan } from "./_money-plans.js";

export const batchInput = {
  count: z
    .number()
    .int(`must be a whole number of bets from 1 to ${MAX_BATCH_BETS}`)
    .min(1, `must be a whole number of bets from 1 to ${MAX_BATCH_BETS}`)
    .max(MAX_BATCH_BETS, `must be a whole number of bets from 1 to ${MAX_BATCH_BETS}`)
    .describe("number of bets"),
  amount: usd({ min: 0.01 }).describe("stake of EACH bet in USD (0.5 = fifty cents; not cents), ≥ 0.01"),
  agent_ids: z
    .array(agentId)
    .min(1, "must list at least one agent id, or be omitted to spread across the fleet")
    .optional()
    .describe("fleet agents to bet with, round-robin; omit for every unpaused agent"),
  priority: z
    .number()
    .int("must be a whole number from 0 (lowest) to 9 (highest)")
    .min(0, "must be a whole number from 0 (lowest) to 9 (highest)")
    .max(9, "must be a whole number from 0 (lowest) to 9 (highest)")
    .default(5)
    .describe("queue priority, 9 = highest"),
  wait_seconds: waitSeconds,
  dry_run: z.boolean().default(false).describe("true: return the plan and send NOTHING"),
  cancel_on_abort: z
    .boolean()
    .default(false)
    .describe("if this request is cancelled while waiting, also cancel the unsent bets"),
  confirm_token: confirmToken,
};
type BatchArgs = z.output<z.ZodObject<typeof batchInput>>;

export const batchOutput = {
  mode: modeField,
  status: z
    .enum(["dry_run", "finished", "running", "cancelled"])
    .describe("running: not finished within wait_seconds; it goes on"),
  job_id: z.string().nullable().describe("null for a dry run"),
  bet: z.record(z.string(), z.unknown()).describe("the game and its fields"),
  count: z.number().int(),
  amount_usd: z.number().describe("per bet"),
  plan: planView,
  blocked_by: issue.optional().describe("dry run: what would refuse it"),
  confirm_token: confirmTokenOut,
  summary: summaryView.optional().describe("running: the bets settled so far"),
  progress: z.object({ done: z.number().int(), total: z.number().int() }).nullable().describe("null for a dry run"),
};

export interface BatchGame<G extends z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  /** the game's own fields */
  input: G;
  /** cross-field checks the zod shape cannot express; throws INVALID_INPUT */
  check?(args: z.output<z.ZodObject<G>>): void;
  /** the bet the plan prices (and sends, unless `betAt` varies it) */
  bet(args: z.output<z.ZodObject<G>>): GameBet;
  /** the bet an agent places as its `agentBet`-th bet (0-based), when bets vary within a batch (coin flip `alternate`) */
  betAt?(args: z.output<z.ZodObject<G>>, agentBet: number): GameBet;
  /** the bet as the result shows it (e.g. side `alternate`) */
  betView(args: z.output<z.ZodObject<G>>): Record<string, unknown>;
  /** "crash at 2×" — for the text summary */
  label(args: z.output<z.ZodObject<G>>): string;
}

export function registerBatchTool<G extends z.ZodRawShape>(
  server: McpServer,
  deps: FleetDeps,
  game: BatchGame<G>,
): void {
  registerTool(server, {
    name: game.name,
    title: game.title,
    description: game.description,
    input: { ...game.input, ...batchInput },
    output: batchOutput,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    // hosts with MCP Apps show the result in the batch view (progress, PnL chart, per agent)
    _meta: FLEET_VIEW_META,
    async handler(raw, ctx) {
      const args = raw as BatchArgs & z.output<z.ZodObject<G>>;
      if (args.dry_run) return dryRun(deps, game, args, ctx);
      const started = await startBatch(deps, game, args, ctx);
      return finishBatch(deps, started, { waitSeconds: args.wait_seconds, cancelOnAbort: args.cancel_on_abort }, ctx);
    },
    task: {
      async start(raw, ctx) {
        const args = raw as BatchArgs & z.output<z.ZodObject<G>>;
        if (args.dry_run) {
          throw new FleetError("INVALID_INPUT", "dry_run: true places nothing and answers at once, so it is no task", {
            hint: "call it without `task` for the plan",
          });
        }
        return startBatch(deps, game, args, ctx);
      },
      finish: (started, wait, ctx) => finishBatch(deps, started as StartedJob<BatchReplay>, wait, ctx),
      progress: (job, replay) => batchProgress(deps.engine, job, (replay as BatchReplay).count),
    },
  });
}

/** What a submitted batch's answer needs besides its chord: kept on the chord's row when it runs as a task. */
interface BatchReplay {
  label: string;
  head: { mode: FleetDeps["mode"]; bet: Record<string, unknown>; count: number; amount_usd: number };
  plan: z.output<typeof planView>;
  count: number;
}

function describeBatch<G extends z.ZodRawShape>(
  deps: FleetDeps,
  game: BatchGame<G>,
  args: BatchArgs & z.output<z.ZodObject<G>>,
) {
  game.check?.(args);
  const label = `${args.count} × $${formatUsd(args.amount)} ${game.label(args)}`;
  const head = { mode: deps.mode, bet: game.betView(args), count: args.count, amount_usd: microsToUsd(args.amount) };
  return { label, head };
}

async function dryRun<G extends z.ZodRawShape>(
  deps: FleetDeps,
  game: BatchGame<G>,
  args: BatchArgs & z.output<z.ZodObject<G>>,
  ctx: ToolContext,
) {
  const { label, head } = describeBatch(deps, game, args);
  const agentIds = await selectAgents(deps, args.agent_ids, true);
  // The same read-only balance read as a real run, so the caps agree; nothing that moves money, no job row.
  const peeked = await peekBankrolls(deps, agentIds, ctx.signal);
  const chosen = args.agent_ids ? { agents: peeked.bankrolls, skipped: [] } : affordable(game, args, peeked.bankrolls);
  // nobody can afford it: the plan over every agent shows why, and the refusal says how to fund them
  const dryPlan = plan(game, args, chosen.agents.length ? chosen.agents : peeked.bankrolls);
  const planned = new Set(dryPlan.agents.map((a) => a.agentId));
  const fallbacks = peeked.fallbacks.filter((f) => planned.has(f.agentId));
  // Same order as a real run: the operator's limits and the kill switch, then the Kelly caps.
  const blocked = await refusal(async () => {
    await deps.fleet.assertCanPlaceBatch(stakes(dryPlan));
    if (chosen.agents.length === 0) throw noneCanAfford(deps.mode, args.amount, chosen.skipped);
    await assertPlanAllowed(deps.fleet, dryPlan, deps.mode);
  });
  // a plan the limits would refuse gets no token: sending it would be refused before any question
  const moneyPlan = batchMoneyPlan(deps, game.name, args, dryPlan, label);
  const token = blocked ? null : confirmTokenFor(deps, moneyPlan);
  // when nobody can afford it, the plan itself lists every agent and blocked_by says why
  const out = planOut(dryPlan, fallbacks, chosen.agents.length ? chosen.skipped : []);
  return {
    structured: {
      ...head,
      status: "dry_run" as const,
      job_id: null,
      plan: out,
      ...(blocked ? { blocked_by: blocked } : {}),
      ...(token ? { confirm_token: token } : {}),
      progress: null,
    },
    text: [
      dryRunText(deps, label, dryPlan, fallbacks, blocked),
      ...skippedText(out.skipped),
      ...confirmTokenLine(deps, moneyPlan, token),
    ].join("\n"),
  };
}

/** Every check, then the chord: what a call submits, with or without `task`. */
async function startBatch<G extends z.ZodRawShape>(
  deps: FleetDeps,
  game: BatchGame<G>,
  args: BatchArgs & z.output<z.ZodObject<G>>,
  ctx: ToolContext,
): Promise<StartedJob<BatchReplay>> {
  const { label, head } = describeBatch(deps, game, args);
  const agentIds = await selectAgents(deps, args.agent_ids, false);
  // The operator's limits and the kill switch first: nothing, not even a balance read, before they pass. Stakes
  // do not depend on balances, so a plan on zero balances prices them.
  const stakePlan = plan(game, args, agentIds.map(unread));
  await deps.fleet.assertCanPlaceBatch(stakes(stakePlan));
  // live money above the operator's threshold: the user's yes before anything is read, written or sent
  await requireConfirmation(deps, ctx, batchMoneyPlan(deps, game.name, args, stakePlan, label), args.confirm_token);
  const bankrolls = await loadBankrolls(deps, agentIds, ctx.signal);
  const chosen = args.agent_ids ? { agents: bankrolls, skipped: [] } : affordable(game, args, bankrolls);
  if (chosen.agents.length === 0) throw noneCanAfford(deps.mode, args.amount, chosen.skipped);
  const finalPlan = plan(game, args, chosen.agents);
  const chord = await submitBatch(deps, finalPlan);
  return {
    jobId: chord.id,
    replay: { label, head, plan: planOut(finalPlan, [], chosen.skipped), count: finalPlan.count },
  };
}

/** A batch over the fleet (no agent_ids) bets with the agents that can afford their share; the rest are named. */
function affordable<G extends z.ZodRawShape>(
  game: BatchGame<G>,
  args: BatchArgs & z.output<z.ZodObject<G>>,
  bankrolls: readonly AgentBankroll[],
): { agents: AgentBankroll[]; skipped: SkippedAgent[] } {
  return affordableAgents(bankrolls, { bet: game.bet(args), count: args.count, amount: args.amount });
}

/** The answer for a submitted batch: its summary once finished, else where it stands after the wait. */
async function finishBatch(
  deps: FleetDeps,
  { jobId, replay }: StartedJob<BatchReplay>,
  wait: { waitSeconds: number; cancelOnAbort?: boolean },
  ctx: ToolContext,
) {
  const awaited = await awaitJob(deps, jobId, {
    waitSeconds: wait.waitSeconds,
    ctx,
    cancelOnAbort: wait.cancelOnAbort ?? false,
    progressOf: (job) => batchProgress(deps.engine, job, replay.count),
  });
  const summary = await batchAggregate(deps, awaited.job);
  return {
    structured: {
      ...replay.head,
      status: status(awaited),
      job_id: jobId,
      plan: replay.plan,
      summary: summaryOut(summary),
      progress: { done: summary.totalBets + summary.failedBets, total: replay.count },
    },
    // a chord submitted before agents were skipped has no `skipped` in its replay
    text: [resultText(deps, replay.label, awaited, summary), ...skippedText(replay.plan.skipped ?? [])].join("\n"),
  };
}

/**
 * Explicit ids must be fleet agents; none means every agent that may trade now. A dry run while everything is
 * paused plans over every agent instead, so the plan can show the pause as what would refuse it.
 */
async function selectAgents(deps: FleetDeps, explicit: string[] | undefined, dryRun: boolean): Promise<string[]> {
  if (explicit) {
    const unknown = await unknownAgents(deps, explicit);
    if (unknown.length) {
      throw new FleetError("NOT_FOUND", `not fleet agents: ${unknown.join(", ")}`, {
        hint: "list_agents shows the fleet's agent ids; register_agent adds one",
      });
    }
    return [...new Set(explicit)];
  }
  const all = await deps.fleet.listAgents();
  if (all.length === 0) {
    throw new FleetError("NOT_FOUND", "the fleet has no agents to bet with", {
      hint: "register_agent creates one (then claim_faucet funds it with $1)",
    });
  }
  const pause = await deps.fleet.pauseState();
  const active = all.filter((a) => !a.paused && !pause.pausedAgents.includes(a.agentId));
  if (pause.fleetPaused || active.length === 0) {
    if (dryRun) return (active.length ? active : all).map((a) => a.agentId);
    throw new FleetError(
      "TRADING_PAUSED",
      pause.fleetPaused
        ? `trading is paused fleet-wide: ${pause.reason ?? "no reason given"}`
        : "every fleet agent is paused",
      { hint: "resume_trading lifts the pause once the reason no longer holds" },
    );
  }
  return active.map((a) => a.agentId);
}

function plan<G extends z.ZodRawShape>(
  game: BatchGame<G>,
  args: BatchArgs & z.output<z.ZodObject<G>>,
  agents: Array<{ agentId: string; balance: number; riskFactor: number }>,
): BatchPlan {
  const betAt = game.betAt;
  return planBatch({
    bet: game.bet(args),
    ...(betAt ? { betAt: (agentBet: number) => betAt(args, agentBet) } : {}),
    count: args.count,
    amount: args.amount,
    agents,
    priority: args.priority,
    origin: `tool:${game.name}`,
  });
}

/** An agent whose bankroll is not read yet: enough to plan stakes, never to price Kelly caps. */
function unread(agentId: string): AgentBankroll {
  return { agentId, balance: 0, riskFactor: CASINO_DEFAULT_RISK_FACTOR };
}

function stakes(p: BatchPlan): Array<{ agentId: string; stake: number }> {
  return p.bets.map((b) => ({ agentId: b.agentId, stake: b.amount }));
}

function status(a: AwaitedJob): "finished" | "running" | "cancelled" {
  if (a.job.state === "cancelled") return "cancelled";
  return a.finished ? "finished" : "running";
}

function resultText(deps: FleetDeps, label: string, a: AwaitedJob, s: BetAggregate): string {
  const first = `[${deps.mode}] ${label}, job ${a.job.id}:`;
  if (a.finished && a.job.state !== "cancelled") return `${first} ${summaryText(s)}`;
  const where = pendingSummary(a);
  return `${first} ${where}. So far: ${summaryText(s)}`;
}

/**
 * The part of every batch tool's description that is not about the game: what a model needs to call it right.
 * How a batch runs and is checked is said once, in the server instructions (src/mcp/server-info.ts).
 */
export function batchDescription(game: string): string {
  return [
    game,
    "`amount` is USD per bet (not cents); bets go round-robin over agent_ids, or else every unpaused fleet agent",
    "that can afford its share. The operator's limits, the kill switch and Kelly caps are checked before anything",
    "is sent; dry_run: true returns the plan and sends nothing. Returns the summary (wins, losses, PnL, failures),",
    "or status `running` with the job id after wait_seconds (it keeps going). States the mode (sandbox | live).",
  ].join(" ");
}
