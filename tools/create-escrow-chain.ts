import { randomBytes } from "node:crypto";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { agentId, TASK } from "../src/jobs/tasks/args.js";
import type { EscrowCreateResult } from "../src/jobs/tasks/escrow-create.js";
import type { EscrowReleaseResult } from "../src/jobs/tasks/escrow-release.js";
import type { ValidationResult } from "../src/jobs/tasks/escrow-validate.js";
import type { JobRow } from "../src/jobs/types.js";
import {
  confirmToken,
  confirmTokenFor,
  confirmTokenLine,
  confirmTokenOut,
  type MoneyPlan,
  needsConfirmation,
  requireConfirmation,
} from "../src/mcp/confirm.js";
import { modeField, usd, waitSeconds } from "../src/mcp/schemas.js";
import type { StartedJob } from "../src/mcp/tasks.js";
import { registerTool, type ToolContext } from "../src/mcp/tool.js";
import { type AwaitedJob, awaitJob, isTerminal } from "../src/mcp/wait.js";
import { formatUsd, microsToUsd } from "../src/money.js";
import { isFleetAgent } from "./_agents.js";
import { issue, type Refusal, refusal } from "./_batch-plan.js";
import { type EscrowView, escrowView, loadEscrow, nextSteps, toEscrowView } from "./_escrow.js";
import { failedJobError, jobSentence, jobView, toJobView } from "./_job.js";
import { assertSpendAllowed, escrowCreateMoneyPlan } from "./_money-plans.js";

/**
 * `create_escrow_chain`: create → validate → release as one durable chain. Release happens only when the
 * stated validation policy passes; otherwise the escrow stays funded and the answer says why and what to do.
 */

const input = {
  agent_id: agentId.describe("the creator: the fleet agent whose casino balance pays (amount is locked at once)"),
  counterparty_agent_id: agentId.describe("who is paid on release: any casino agent id (`ag_…`), fleet or not"),
  amount: usd({ min: 0.1 }).describe("USD locked in escrow (not cents), ≥ 0.10; release pays 99% of it"),
  description: z
    .string()
    .trim()
    .min(3, "must describe the work in at least 3 characters")
    .max(400, "must be at most 400 characters")
    .describe("what the counterparty delivers, 3–400 characters"),
  timeout_hours: z
    .number()
    .int("must be a whole number of hours from 1 to 720")
    .min(1, "must be a whole number of hours from 1 to 720")
    .max(720, "must be a whole number of hours from 1 to 720")
    .optional()
    .describe("1–720, default 24: then the server REFUNDS the creator less 1% if not released"),
  referral_code: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe("Purple Flea referral code credited with 15% of the fee"),
  validation: z
    .enum(["counterparty_completed", "manual"])
    .default("counterparty_completed")
    .describe(
      "counterparty_completed: release once the counterparty marked it completed; manual: never release automatically",
    ),
  validation_wait_seconds: z
    .number()
    .int("must be a whole number of seconds from 0 to 3600")
    .min(0, "must be a whole number of seconds from 0 to 3600")
    .max(3600, "must be a whole number of seconds from 0 to 3600")
    .default(0)
    .describe("counterparty_completed: how long the chain waits for completion (in the background), 0–3600"),
  min_hours_before_timeout: z
    .number()
    .min(0, "must be a number of hours from 0 to 720")
    .max(720, "must be a number of hours from 0 to 720")
    .default(0)
    .describe("refuse to release when fewer hours than this are left before the timeout refund"),
  wait_seconds: waitSeconds,
  dry_run: z.boolean().default(false).describe("true: check the plan against the limits and send NOTHING"),
  confirm_token: confirmToken,
};

const output = {
  mode: modeField,
  outcome: z
    .enum(["released", "not_released", "running", "failed", "dry_run"])
    .describe("not_released: validation did not pass, the escrow stays funded; running: poll job_status"),
  job: jobView.nullable().describe("the chain; null for a dry run"),
  escrow_id: z.string().nullable(),
  escrow: escrowView.nullable(),
  validation: z.object({
    policy: z.enum(["counterparty_completed", "manual"]),
    passed: z.boolean().nullable().describe("null until the validation step has run"),
    reason: z.string().nullable(),
  }),
  amount_released_usd: z.number().nullable(),
  steps: z.array(jobView.extend({ task: z.string() })),
  next_steps: z.array(z.string()),
  blocked_by: issue.optional().describe("dry run only: what would refuse this escrow if it were sent"),
  confirm_token: confirmTokenOut,
};

type Input = z.output<z.ZodObject<typeof input>>;
type ChainOutcome = z.output<typeof output.outcome>;

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "create_escrow_chain",
    title: "Create an escrow chain (create → validate → release)",
    description: [
      "Pays a counterparty agent through Purple Flea escrow as one durable job chain: create (the creator's casino",
      "balance is debited `amount` USD at once; 1% commission), validate by the stated policy, then release (the",
      "counterparty gets 99%) ONLY if validation passed. Policies: counterparty_completed — the counterparty must have",
      "marked the escrow completed (complete_escrow does that for a fleet counterparty), waiting up to",
      "validation_wait_seconds in the background; manual — never released automatically. When validation fails the",
      "escrow stays FUNDED and the result says why and how to complete, release or dispute it; if nobody acts, the",
      "server refunds the creator less 1% at the timeout (default 24 h). Prerequisite: the creator is a fleet agent",
      "with enough balance; the counterparty must differ from the creator. Returns the escrow id, the escrow and each",
      "step's outcome, or the chain's job id if not finished within wait_seconds (default 20, max 50). Moves real",
      "money in live mode; the result states the mode. Operator limits (get_risk_limits): amount ≤ the max escrow and",
      "within the fleet's daily escrow total, else LIMIT_EXCEEDED; TRADING_PAUSED while paused. Nothing is written",
      "or sent when refused.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    handler: async (args, ctx) =>
      args.dry_run
        ? planChain(deps, args)
        : finishChain(deps, await startChain(deps, args, ctx), { waitSeconds: args.wait_seconds }, ctx),
    task: {
      async start(args, ctx) {
        if (args.dry_run) {
          throw new FleetError("INVALID_INPUT", "dry_run: true creates nothing and answers at once, so it is no task", {
            hint: "call it without `task` for the plan",
          });
        }
        return startChain(deps, args, ctx);
      },
      finish: (started, wait, ctx) => finishChain(deps, started as StartedJob<ChainReplay>, wait, ctx),
    },
  });
}

/** What the answer says of the call besides its chain: kept on the chain's row when it runs as a task. */
type ChainReplay = Pick<Input, "agent_id" | "counterparty_agent_id" | "amount" | "validation">;

async function planChain(deps: FleetDeps, args: Input) {
  await assertCreatable(deps, args);
  const moneyPlan = escrowCreateMoneyPlan(deps, args);
  const hold = { agentId: args.agent_id, amount: args.amount };
  return dryRun(deps, args, moneyPlan, await refusal(() => assertSpendAllowed(deps, "escrow", hold)));
}

async function startChain(deps: FleetDeps, args: Input, ctx: ToolContext): Promise<StartedJob<ChainReplay>> {
  await assertCreatable(deps, args);
  const moneyPlan = escrowCreateMoneyPlan(deps, args);
  const hold = { agentId: args.agent_id, amount: args.amount };
  if (needsConfirmation(deps, moneyPlan)) {
    // the limits and the kill switch refuse first, as the transaction below would, without asking
    await assertSpendAllowed(deps, "escrow", hold);
    await requireConfirmation(deps, ctx, moneyPlan, args.confirm_token);
  }
  const requestId = `ecc_${randomBytes(8).toString("hex")}`;
  const spec = {
    steps: [
      {
        task: TASK.escrowCreate,
        args: {
          agentId: args.agent_id,
          counterpartyAgentId: args.counterparty_agent_id,
          amount: args.amount,
          description: args.description,
          ...(args.timeout_hours !== undefined ? { timeoutHours: args.timeout_hours } : {}),
          ...(args.referral_code !== undefined ? { referralCode: args.referral_code } : {}),
          requestId,
        },
      },
      {
        task: TASK.escrowValidate,
        args: {
          policy: {
            kind: args.validation,
            waitSeconds: args.validation_wait_seconds,
            minHoursBeforeTimeout: args.min_hours_before_timeout,
          },
        },
      },
      { task: TASK.escrowRelease, args: { agentId: args.agent_id, requestId: randomBytes(8).toString("hex") } },
    ],
  };
  // The chain and the escrow's reservation against the operator's limits commit together, or neither does: the
  // kill switch (TRADING_PAUSED), the per-call max and the fleet's daily total (LIMIT_EXCEEDED) refuse with nothing
  // written and nothing sent. The reservation is tied to the create step (its idempotency key, escrow-create.ts).
  const chain = await deps.storage.transaction(async (tx) => {
    const row = await deps.engine.chain(spec, { tx });
    await deps.fleet.reserveSpend(
      "escrow",
      { jobKey: `escrow.create:${requestId}`, agentId: args.agent_id, amount: args.amount },
      { tx },
    );
    return row;
  });
  const { agent_id, counterparty_agent_id, amount, validation } = args;
  return { jobId: chain.id, replay: { agent_id, counterparty_agent_id, amount, validation } };
}

async function finishChain(
  deps: FleetDeps,
  { jobId, replay: args }: StartedJob<ChainReplay>,
  wait: { waitSeconds: number },
  ctx: ToolContext,
) {
  const awaited = await awaitJob(deps, jobId, { waitSeconds: wait.waitSeconds, ctx });
  const steps = await chainSteps(deps, jobId);
  const created = steps.get(TASK.escrowCreate);
  // A chain that ended without creating the escrow locked nothing (or is reconciling it): its error is the answer.
  if (awaited.finished && created?.state !== "succeeded") throw failedJobError(created ?? awaited.job);
  const createResult = created?.state === "succeeded" ? (created.result as EscrowCreateResult) : undefined;
  const escrow = createResult
    ? await toEscrowView(deps, await loadEscrow(deps, createResult.escrowId, ctx.signal))
    : null;
  const validated = resultOf<ValidationResult>(steps.get(TASK.escrowValidate));
  const released = resultOf<EscrowReleaseResult>(steps.get(TASK.escrowRelease));
  const outcome: ChainOutcome = !awaited.finished
    ? "running"
    : released?.released
      ? "released"
      : awaited.job.state === "succeeded"
        ? "not_released"
        : "failed";
  const next = escrow ? nextSteps(escrow) : [];
  return {
    structured: {
      mode: deps.mode,
      outcome,
      job: toJobView(awaited),
      escrow_id: createResult?.escrowId ?? null,
      escrow,
      validation: {
        policy: args.validation,
        passed: validated ? validated.passed : null,
        reason: validated ? validated.reason : null,
      },
      amount_released_usd: released?.released ? microsToUsd(released.amountReleased) : null,
      steps: [TASK.escrowCreate, TASK.escrowValidate, TASK.escrowRelease].flatMap((task) => {
        const row = steps.get(task);
        return row ? [{ task, ...toJobView({ job: row, finished: isTerminal(row) }) }] : [];
      }),
      next_steps: next,
    },
    text: chainText(deps, args, awaited, outcome, escrow, validated, released, next),
  };
}

function dryRun(deps: FleetDeps, args: Input, moneyPlan: MoneyPlan, blocked: Refusal | undefined) {
  const token = blocked ? null : confirmTokenFor(deps, moneyPlan);
  const head = `[${deps.mode}] DRY RUN, nothing sent: escrow of $${formatUsd(args.amount)} from ${args.agent_id} to ${args.counterparty_agent_id}, validation ${args.validation}.`;
  return {
    structured: {
      mode: deps.mode,
      outcome: "dry_run" as const,
      job: null,
      escrow_id: null,
      escrow: null,
      validation: { policy: args.validation, passed: null, reason: null },
      amount_released_usd: null,
      steps: [],
      next_steps: [],
      ...(blocked ? { blocked_by: blocked } : {}),
      ...(token ? { confirm_token: token } : {}),
    },
    text: [
      head,
      blocked
        ? `Would be refused: ${blocked.code} ${blocked.message}${blocked.hint ? ` (${blocked.hint})` : ""}`
        : "Within the risk limits.",
      ...confirmTokenLine(deps, moneyPlan, token),
    ].join("\n"),
  };
}

/** Refusals that need no network call and write nothing. */
async function assertCreatable(deps: FleetDeps, args: Input): Promise<void> {
  if (!(await isFleetAgent(deps, args.agent_id))) {
    throw new FleetError("NOT_FOUND", `agent_id \`${args.agent_id}\` is not a fleet agent`, {
      hint: "the creator pays, so it must be a fleet agent; list_agents shows them",
    });
  }
  if (args.counterparty_agent_id === args.agent_id) {
    throw new FleetError(
      "INVALID_INPUT",
      `counterparty_agent_id must differ from the creator, got \`${args.agent_id}\` twice`,
      {
        hint: "an agent cannot escrow to itself; pick another counterparty",
      },
    );
  }
  if (args.validation === "manual" && args.validation_wait_seconds > 0) {
    throw new FleetError(
      "INVALID_INPUT",
      "validation_wait_seconds applies only to validation `counterparty_completed`",
      {
        hint: "drop validation_wait_seconds, or use validation counterparty_completed",
      },
    );
  }
}

/** The chain's step jobs by task name (steps are created as the chain advances). */
async function chainSteps(deps: FleetDeps, chainId: string): Promise<Map<string, JobRow>> {
  const rows = (await deps.engine.list({ canvasId: chainId, limit: 10 })).jobs.filter((j) => j.id !== chainId);
  return new Map(rows.map((j) => [j.task, j]));
}

function resultOf<R>(job: JobRow | undefined): R | undefined {
  return job?.state === "succeeded" ? (job.result as R) : undefined;
}

function chainText(
  deps: FleetDeps,
  args: ChainReplay,
  awaited: AwaitedJob,
  outcome: ChainOutcome,
  escrow: EscrowView | null,
  validated: ValidationResult | undefined,
  released: EscrowReleaseResult | undefined,
  next: string[],
): string {
  const head = `[${deps.mode}] escrow of $${formatUsd(args.amount)} from ${args.agent_id} to ${args.counterparty_agent_id}`;
  const lines = [
    `${head}: ${outcome.replace("_", " ")}${escrow ? ` (${escrow.escrow_id}, now ${escrow.status})` : ""}.`,
  ];
  if (validated)
    lines.push(`Validation (${args.validation}): ${validated.passed ? "passed" : "failed"} — ${validated.reason}.`);
  if (released?.released) lines.push(`Released $${formatUsd(released.amountReleased)} to the counterparty.`);
  else if (released?.reason) lines.push(released.reason);
  if (!awaited.finished || awaited.job.state !== "succeeded") lines.push(`Chain: ${jobSentence(awaited)}.`);
  if (outcome !== "released") lines.push(...next.map((s) => `- ${s}`));
  return lines.join("\n");
}
