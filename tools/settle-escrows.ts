import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { escrowId, TASK } from "../src/jobs/tasks/args.js";
import type { SettleReport, SettleResult } from "../src/jobs/tasks/escrow-settle.js";
import {
  confirmToken,
  confirmTokenFor,
  confirmTokenLine,
  confirmTokenOut,
  requireConfirmation,
} from "../src/mcp/confirm.js";
import { modeField, waitSeconds } from "../src/mcp/schemas.js";
import type { StartedJob } from "../src/mcp/tasks.js";
import { registerTool, type ToolContext } from "../src/mcp/tool.js";
import { type AwaitedJob, awaitJob } from "../src/mcp/wait.js";
import { formatUsd, microsToUsd } from "../src/money.js";
import { failedJobError, jobSentence, jobView, toJobView } from "./_job.js";
import { type SettlePlan, settlePlan } from "./_money-plans.js";

/**
 * `settle_escrows`: releases the escrows whose counterparty marked them completed — a given list, or all of the
 * fleet's own — as one durable settlement, and reports what was settled, what failed and what was skipped.
 */

const input = {
  escrow_ids: z
    .array(escrowId)
    .min(1, "must list at least one escrow id, or be omitted to settle all of the fleet's completed escrows")
    .max(200, "must list at most 200 escrow ids")
    .optional()
    .describe("escrows to settle; omit for every escrow the fleet created in the last 31 days"),
  min_hours_before_timeout: z
    .number()
    .min(0, "must be a number of hours from 0 to 720")
    .max(720, "must be a number of hours from 0 to 720")
    .default(0)
    .describe("skip escrows with fewer hours than this left before their timeout refund"),
  wait_seconds: waitSeconds,
  dry_run: z.boolean().default(false).describe("true: read the escrows and show what would be released, send NOTHING"),
  confirm_token: confirmToken,
};

const output = {
  mode: modeField,
  status: z.enum(["finished", "running", "dry_run"]).describe("running: releases still in flight; poll job_status"),
  job: jobView.nullable().describe("the settlement job (reads and enqueues the releases); null for a dry run"),
  releases_job_id: z.string().nullable().describe("the chord of release jobs; null when nothing was to release"),
  settled: z.array(
    z.object({ escrow_id: z.string(), amount_released_usd: z.number(), counterparty_id: z.string().nullable() }),
  ),
  failed: z.array(z.object({ escrow_id: z.string(), reason: z.string() })),
  skipped: z.array(z.object({ escrow_id: z.string(), status: z.string(), reason: z.string() })),
  releasing: z
    .array(z.string())
    .describe("escrows whose release had not finished when the wait ended; dry run: the ones it would release"),
  confirm_token: confirmTokenOut,
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "settle_escrows",
    title: "Settle completed escrows",
    description: [
      "Releases, as their creator, every escrow the counterparty has marked `completed`: the ones listed in escrow_ids,",
      "or — when omitted — every escrow the fleet created in the last 31 days (the weekly settlement). Each release",
      "pays the counterparty the amount less 1% and is irreversible. Escrows still `funded` (work not marked done),",
      "already final, created by agents outside the fleet, or too close to their timeout (min_hours_before_timeout)",
      "are skipped with the reason; use release_escrow to pay a funded escrow directly. Runs as durable jobs (one",
      "release job per escrow). Returns settled (with USD released), failed and skipped escrows with reasons, or, if not",
      "finished within wait_seconds (default 20, max 50), what is still releasing and the job ids to poll.",
      "Moves real money in live mode; the result states the mode. Refused with TRADING_PAUSED while the fleet is",
      "paused; a paused creator's releases fail with TRADING_PAUSED.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    async handler(args, ctx) {
      const plan = await planSettlement(deps, args, ctx);
      if (args.dry_run && plan) return dryRun(deps, plan);
      const started = await submitSettlement(deps, args, plan, ctx);
      return finishSettlement(deps, started, { waitSeconds: args.wait_seconds }, ctx);
    },
    task: {
      async start(args, ctx) {
        if (args.dry_run) {
          throw new FleetError(
            "INVALID_INPUT",
            "dry_run: true releases nothing and answers at once, so it is no task",
            {
              hint: "call it without `task` for the plan",
            },
          );
        }
        return submitSettlement(deps, args, await planSettlement(deps, args, ctx), ctx);
      },
      finish: (started, wait, ctx) => finishSettlement(deps, started as StartedJob<SettleReplay>, wait, ctx),
      // the settlement job only enqueues the releases: the task ends with them
      follow: (job) =>
        job.state === "succeeded" ? ((job.result as SettleResult | null)?.chordId ?? undefined) : undefined,
    },
  });
}

type SettleArgs = z.output<z.ZodObject<typeof input>>;
/** escrows the live plan skipped: the settlement job never sees them, the answer lists them */
type SettleReplay = { skipped: SettlePlan["skipped"] };

async function planSettlement(deps: FleetDeps, args: SettleArgs, ctx: ToolContext): Promise<SettlePlan | undefined> {
  // the kill switch first: nothing is read, written or sent while the fleet is paused (a release whose creator
  // is paused on its own is refused when it would be sent, and reported as failed with TRADING_PAUSED)
  await deps.fleet.assertFleetActive({ action: "a settlement" });
  // Live: the settlement releases exactly the escrows planned (and confirmed) here, never one that became
  // `completed` after the plan was made. Sandbox: the settlement job reads them itself, as always.
  return args.dry_run || deps.mode === "live" ? await settlePlan(deps, args, ctx.signal) : undefined;
}

async function submitSettlement(
  deps: FleetDeps,
  args: SettleArgs,
  plan: SettlePlan | undefined,
  ctx: ToolContext,
): Promise<StartedJob<SettleReplay>> {
  if (plan) await requireConfirmation(deps, ctx, plan.money, args.confirm_token);
  const escrowIds = plan ? plan.releasable : args.escrow_ids ? [...new Set(args.escrow_ids)] : undefined;
  const job = await deps.engine.enqueue(TASK.escrowSettle, {
    ...(escrowIds ? { escrowIds } : {}),
    policy: {
      kind: "counterparty_completed",
      waitSeconds: 0,
      minHoursBeforeTimeout: args.min_hours_before_timeout,
    },
  });
  return { jobId: job.id, replay: { skipped: plan?.skipped ?? [] } };
}

async function finishSettlement(
  deps: FleetDeps,
  { jobId, replay }: StartedJob<SettleReplay>,
  wait: { waitSeconds: number },
  ctx: ToolContext,
) {
  const deadline = Date.now() + wait.waitSeconds * 1000;
  const sweep = await awaitJob(deps, jobId, { waitSeconds: wait.waitSeconds, ctx });
  if (sweep.finished && sweep.job.state !== "succeeded") throw failedJobError(sweep.job);
  const started = sweep.finished ? (sweep.job.result as SettleResult) : undefined;
  const releases = started?.chordId ? await awaitReleases(deps, started.chordId, deadline, ctx) : undefined;
  const report: SettleReport =
    releases?.finished && releases.job.state === "succeeded"
      ? (releases.job.result as SettleReport)
      : { settled: [], failed: [], skipped: started?.skipped ?? [] };
  const releasing = releases?.finished ? [] : (started?.releasing ?? []);
  const finished = sweep.finished && (!releases || releases.finished);
  return {
    structured: {
      mode: deps.mode,
      status: finished ? ("finished" as const) : ("running" as const),
      job: toJobView(sweep),
      releases_job_id: started?.chordId ?? null,
      settled: report.settled.map((s) => ({
        escrow_id: s.escrowId,
        amount_released_usd: microsToUsd(s.amountReleased),
        counterparty_id: s.counterpartyId,
      })),
      failed: report.failed.map((f) => ({ escrow_id: f.escrowId, reason: f.reason })),
      skipped: [...replay.skipped, ...report.skipped].map((s) => ({
        escrow_id: s.escrowId,
        status: s.status,
        reason: s.reason,
      })),
      releasing,
    },
    text: settleText(
      deps,
      { ...report, skipped: [...replay.skipped, ...report.skipped] },
      releasing,
      finished ? undefined : (releases ?? sweep),
    ),
  };
}

function dryRun(deps: FleetDeps, plan: SettlePlan) {
  const token = confirmTokenFor(deps, plan.money);
  return {
    structured: {
      mode: deps.mode,
      status: "dry_run" as const,
      job: null,
      releases_job_id: null,
      settled: [],
      failed: [],
      skipped: plan.skipped.map((s) => ({ escrow_id: s.escrowId, status: s.status, reason: s.reason })),
      releasing: plan.releasable,
      ...(token ? { confirm_token: token } : {}),
    },
    text: [
      `[${deps.mode}] DRY RUN, nothing sent: ${plan.releasable.length} escrow(s) would be released ($${formatUsd(plan.money.worstCase)}), ${plan.skipped.length} skipped.`,
      ...plan.money.lines.slice(0, -1).map((l) => `- ${l}`),
      ...plan.skipped.map((s) => `- skipped ${s.escrowId} (${s.status}): ${s.reason}`),
      ...confirmTokenLine(deps, plan.money, token),
    ].join("\n"),
  };
}

async function awaitReleases(deps: FleetDeps, chordId: string, deadline: number, ctx: ToolContext) {
  const left = Math.max(0, (deadline - Date.now()) / 1000);
  return awaitJob(deps, chordId, { waitSeconds: left, ctx });
}

function settleText(deps: FleetDeps, r: SettleReport, releasing: string[], pending: AwaitedJob | undefined): string {
  const total = r.settled.reduce((n, s) => n + s.amountReleased, 0);
  const lines = [
    `[${deps.mode}] settled ${r.settled.length} escrow(s) ($${formatUsd(total)} released), ${r.failed.length} failed, ${r.skipped.length} skipped${
      releasing.length ? `, ${releasing.length} still releasing` : ""
    }.`,
    ...r.settled.map((s) => `- settled ${s.escrowId}: $${formatUsd(s.amountReleased)} to ${s.counterpartyId ?? "?"}`),
    ...r.failed.map((f) => `- FAILED ${f.escrowId}: ${f.reason}`),
    ...r.skipped.map((s) => `- skipped ${s.escrowId} (${s.status}): ${s.reason}`),
  ];
  if (pending) lines.push(jobSentence(pending));
  return lines.join("\n");
}
