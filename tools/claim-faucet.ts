import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { TASK } from "../src/jobs/tasks/args.js";
import type { FaucetClaimResult } from "../src/jobs/tasks/faucet-claim.js";
import { jobErrorShape, jobProgressShape } from "../src/mcp/job-view.js";
import { agentId, modeField, waitSeconds } from "../src/mcp/schemas.js";
import type { StartedJob } from "../src/mcp/tasks.js";
import { registerTool, type ToolContext } from "../src/mcp/tool.js";
import { awaitJob, pendingSummary } from "../src/mcp/wait.js";
import { formatUsd } from "../src/money.js";

export const input = {
  agent_id: agentId,
  referral_code: z
    .string()
    .regex(/^ref_[0-9a-f]{8}$/, "must be a casino referral code like `ref_1a2b3c4d`")
    .optional()
    .describe("recorded by the faucet (it pays nobody)"),
  wait_seconds: waitSeconds,
};

export const output = {
  mode: modeField,
  job_id: z.string(),
  state: z.string(),
  finished: z.boolean(),
  result: z.unknown().describe("the claim (credited amount, claim id) once succeeded"),
  error: jobErrorShape,
  progress: jobProgressShape,
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "claim_faucet",
    title: "Claim the faucet",
    description: [
      "Claims Purple Flea's free $1.00 for an agent (POST /faucet/claim) into its casino balance, as a",
      "durable job: a lost response is reconciled, never claimed twice. Server rules: once per agent ever,",
      "not after a deposit, one claim per IP per 24 h, checked first — so RATE_LIMITED means this IP",
      "claimed today. An agent known to have claimed gets a success with nothing credited and the reason.",
      "Use it to fund a new agent (its Kelly cap then allows about $0.13 per coin flip). Returns the claim,",
      "or the job id if not finished within wait_seconds. States the mode.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    async handler(args, ctx) {
      return finishClaim(deps, await startClaim(deps, args), { waitSeconds: args.wait_seconds }, ctx);
    },
    task: {
      start: (args) => startClaim(deps, args),
      finish: (started, wait, ctx) => finishClaim(deps, started as StartedJob<ClaimReplay>, wait, ctx),
    },
  });
}

type ClaimReplay = { agentId: string };

async function startClaim(
  deps: FleetDeps,
  args: { agent_id: string; referral_code?: string | undefined },
): Promise<StartedJob<ClaimReplay>> {
  if (!(await deps.fleet.getAgent(args.agent_id))) {
    throw new FleetError("NOT_FOUND", `no agent \`${args.agent_id}\` in the fleet`, {
      hint: "list_agents shows the fleet",
    });
  }
  const job = await deps.engine.enqueue(TASK.faucetClaim, {
    agentId: args.agent_id,
    ...(args.referral_code ? { referralCode: args.referral_code } : {}),
  });
  return { jobId: job.id, replay: { agentId: args.agent_id } };
}

async function finishClaim(
  deps: FleetDeps,
  { jobId, replay }: StartedJob<ClaimReplay>,
  wait: { waitSeconds: number },
  ctx: ToolContext,
) {
  const args = { agent_id: replay.agentId };
  const waited = await awaitJob(deps, jobId, { waitSeconds: wait.waitSeconds, ctx });
  const { job: row } = waited;
  const text =
    row.state === "succeeded"
      ? succeededText(args.agent_id, row.result as FaucetClaimResult, `${deps.mode} mode, job ${row.id}`)
      : waited.finished
        ? `faucet claim ${row.state} for ${args.agent_id}: ${row.error ? `${row.error.code}: ${row.error.message}` : "no reason recorded"} (job ${row.id})${typeof row.error?.hint === "string" ? `\nHint: ${row.error.hint}` : ""}`
        : pendingSummary(waited);
  return {
    structured: {
      mode: deps.mode,
      job_id: row.id,
      state: row.state,
      finished: waited.finished,
      result: row.result ?? null,
      error: row.error
        ? {
            code: String(row.error.code),
            message: String(row.error.message),
            ...(typeof row.error.hint === "string" ? { hint: row.error.hint } : {}),
            retryable: Boolean(row.error.retryable),
          }
        : null,
      progress: waited.progress,
    },
    text,
  };
}

/** A claim that succeeded either credited $1 now, or found the agent had claimed before (e.g. at registration). */
function succeededText(agentId: string, r: FaucetClaimResult, where: string): string {
  return r.claimed
    ? `faucet credited $${formatUsd(r.credited)} to ${agentId} (${where})`
    : `no new claim for ${agentId}: ${r.note ?? "it had claimed before"}; one claim per agent ever (${where})`;
}
