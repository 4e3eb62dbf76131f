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
import { type AgentBankroll, type BatchPlan, MAX_BATCH_BETS, planBatch } from "../src/jobs/tasks/batch-plan.js";
import {
  assertPlanAllowed,
  CASINO_DEFAULT_RISK_FACTOR,
  loadBankrolls,
  peekBankrolls,
  submitBatch,
} from "../src/jobs/tasks/batch-submit.js";
import { agentId, modeField, usd, waitSeconds } from "../src/mcp/schemas.js";
import { registerTool, type ToolContext } from "../src/mcp/tool.js";
import { type AwaitedJob, awaitJob, pendingSummary } from "../src/mcp/wait.js";
import { formatUsd, microsToUsd } from "../src/money.js";
import type { GameBet } from "../src/purpleflea/fairness.js";
import { unknownAgents } from "./_agents.js";
import { dryRunText, issue, planOut, planView, refusal } from "./_batch-plan.js";
import { batchAggregate, batchProgress, summaryOut, summaryText, summaryView } from "./_batch-summary.js";

export const batchInput = {
  count: z
    .number()
    .int(`must be a whole number of bets from 1 to ${MAX_BATCH_BETS}`)
    .min(1, `must be a whole number of bets from 1 to ${MAX_BATCH_BETS}`)
    .max(MAX_BATCH_BETS, `must be a whole number of bets from 1 to ${MAX_BATCH_BETS}`)
    .describe(`number of bets, 1–${MAX_BATCH_BETS}`),
  amount: usd({ min: 0.01 }).describe("stake of EACH bet in USD (0.5 = fifty cents; not cents), ≥ 0.01"),
  agent_ids: z
    .array(agentId)
    .min(1, "must list at least one agent id, or be omitted to spread across the fleet")
    .optional()
    .describe("fleet agents to bet with, bets spread round-robin; one id = one agent; omit for every unpaused agent"),
  priority: z
    .number()
    .int("must be a whole number from 0 (lowest) to 9 (highest)")
    .min(0, "must be a whole number from 0 (lowest) to 9 (highest)")
    .max(9, "must be a whole number from 0 (lowest) to 9 (highest)")
    .default(5)
    .describe("queue priority 0 (lowest) – 9 (highest), default 5"),
  wait_seconds: waitSeconds,
  dry_run: z
    .boolean()
    .default(false)
    .describe("true: return the plan (stakes, Kelly caps, expected value, house edge) and send NOTHING"),
  cancel_on_abort: z
    .boolean()
    .default(false)
    .describe("if this request is cancelled while waiting, also cancel the batch's unsent bets (default: keep going)"),
};
type BatchArgs = z.output<z.ZodObject<typeof batchInput>>;

export const batchOutput = {
  mode: modeField,
  status: z
    .enum(["dry_run", "finished", "running", "cancelled"])
    .describe("running: not finished within wait_seconds; poll job_status with job_id"),
  job_id: z.string().nullable().describe("the chord's job id; null for a dry run"),
  bet: z.record(z.string(), z.unknown()).describe("the game and its fields, as sent"),
  count: z.number().int(),
  amount_usd: z.number().describe("USD per bet"),
  plan: planView,
  blocked_by: issue.optional().describe("dry run only: what would refuse this batch if it were sent"),
  summary: summaryView.optional().describe("finished: the aggregate; running: the bets settled so far"),
  progress: z
    .object({ done: z.number().int(), total: z.number().int() })
    .nullable()
    .describe("bets finished (settled or failed) of the batch; null for a dry run"),
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
    async handler(raw, ctx) {
      const args = raw as BatchArgs & z.output<z.ZodObject<G>>;
      return placeBatch(deps, game, args, ctx);
    },
  });
}

async function placeBatch<G extends z.ZodRawShape>(
  deps: FleetDeps,
  game: BatchGame<G>,
  args: BatchArgs & z.output<z.ZodObject<G>>,
  ctx: ToolContext,
) {
  game.check?.(args);
  const label = `${args.count} × $${formatUsd(args.amount)} ${game.label(args)}`;
  const head = { mode: deps.mode, bet: game.betView(args), count: args.count, amount_usd: microsToUsd(args.amount) };
  const agentIds = await selectAgents(deps, args.agent_ids, args.dry_run);

  if (args.dry_run) {
    // The same read-only balance read as a real run, so the caps agree; nothing that moves money, no job row.
    const { bankrolls, fallbacks } = await peekBankrolls(deps, agentIds, ctx.signal);
    const dryPlan = plan(game, args, bankrolls);
    // Same order as a real run: the operator's limits and the kill switch, then the Kelly caps.
    const blocked = await refusal(async () => {
      await deps.fleet.assertCanPlaceBatch(stakes(dryPlan));
      await assertPlanAllowed(deps.fleet, dryPlan);
    });
    return {
      structured: {
        ...head,
        status: "dry_run" as const,
        job_id: null,
        plan: planOut(dryPlan, fallbacks),
        ...(blocked ? { blocked_by: blocked } : {}),
        progress: null,
      },
      text: dryRunText(deps, label, dryPlan, fallbacks, blocked),
    };
  }

  // The operator's limits and the kill switch first: nothing, not even a balance read, before they pass. Stakes
  // do not depend on balances, so a plan on zero balances prices them.
  await deps.fleet.assertCanPlaceBatch(stakes(plan(game, args, agentIds.map(unread))));
  const bankrolls = await loadBankrolls(deps, agentIds, ctx.signal);
  const finalPlan = plan(game, args, bankrolls);
  const chord = await submitBatch(deps, finalPlan);
  const awaited = await awaitJob(deps, chord.id, {
    waitSeconds: args.wait_seconds,
    ctx,
    cancelOnAbort: args.cancel_on_abort,
    progressOf: (job) => batchProgress(deps.engine, job, finalPlan.count),
  });
  const summary = await batchAggregate(deps, awaited.job);
  return {
    structured: {
      ...head,
      status: status(awaited),
      job_id: chord.id,
      plan: planOut(finalPlan, []),
      summary: summaryOut(summary),
      progress: { done: summary.totalBets + summary.failedBets, total: finalPlan.count },
    },
    text: resultText(deps, label, awaited, summary),
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

/** The part of every batch tool's description that is not about the game. */
export function batchDescription(game: string): string {
  return [
    game,
    "Each bet settles instantly on the server; the batch runs as durable background jobs (a chord of casino.bet_batch",
    "jobs, one per bets/batch call of ≤ 20 bets, whose callback aggregates the results), spread round-robin over",
    "agent_ids or over every unpaused fleet agent.",
    `\`amount\` is USD per bet (0.25 = 25 cents, not cents), minimum 0.01; count 1–${MAX_BATCH_BETS}.`,
    "Before anything is sent it checks the operator's risk limits (max bet, max batch stake, daily loss per agent and",
    "fleet-wide; see get_risk_limits — no tool can raise them) and the kill switch (LIMIT_EXCEEDED / TRADING_PAUSED),",
    "then each agent's server Kelly cap, round2(balance × risk_factor × win probability) (KELLY_LIMIT_EXCEEDED, with",
    "the cap in the hint); a refused batch sends no bet. Prerequisite: fleet agents with a balance (register_agent,",
    "claim_faucet). dry_run: true returns the plan — stakes per agent, Kelly caps from each agent's server balance and",
    "risk factor (read-only GET /auth/balance, as the real run reads them; if a read fails, the local ledger balance at",
    "the default risk factor 0.25, and the answer says so), expected value, real vs priced house edge, warnings — and",
    "places NOTHING; use it first when unsure.",
    "Returns the aggregate summary (bets, wins, losses, win rate, total PnL, best/worst, failures and why), or, if not",
    "finished within wait_seconds (default 20, max 50), status `running` with the job id and the bets settled so far:",
    "the batch keeps going; poll job_status or cancel_job with that id. The result states the mode (sandbox | live).",
  ].join(" ");
}
