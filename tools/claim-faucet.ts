import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { TASK } from "../src/jobs/tasks/args.js";
import { ipBlockedUntil } from "../src/jobs/tasks/balance-check.js";
import type { FaucetClaimResult } from "../src/jobs/tasks/faucet-claim.js";
import type { JobRow } from "../src/jobs/types.js";
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
      "claimed today. An agent known to have claimed gets a success with nothing credited and the reason; a",
      "failed claim is retried by calling again. Use it to fund a new agent (its Kelly cap then allows about $0.13",
      "per coin flip). Returns the claim, or the job id if not finished within wait_seconds. States the mode.",
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
  await refuseKnownIpBlock(deps, args.agent_id);
  const job = await enqueueOrRetry(deps, args.agent_id, args.referral_code);
  return { jobId: job.id, replay: { agentId: args.agent_id } };
}

/** What a sandbox user can do the day the faucet refuses this IP. */
const SANDBOX_IP_HINT =
  "sandbox mode: sandbox_fund_agent credits this agent play money now; or sandbox_advance_clock with " +
  '`{"hours": 24}` lets the sandbox\'s faucet day pass, then call claim_faucet for it again';

/**
 * The faucet refused this IP within its 24 h window (a failed claim job says so, as the wallet monitor reads it),
 * and it checks the IP before the agent — so a claim now would be refused too: answered at once, nothing sent.
 * Not for an agent known to have claimed (its claim job answers that from memory, sending nothing). In sandbox
 * mode the window is judged by the sandbox's clock, which sandbox_advance_clock moves on: a refusal's time is
 * real time, and the sandbox's is never behind it, so this never refuses longer than the sandbox would (a shared
 * sandbox's clock is not known here: its faucet answers for itself).
 */
async function refuseKnownIpBlock(deps: FleetDeps, agentId: string): Promise<void> {
  const now = deps.mode === "live" ? Date.now() : deps.sandbox?.now();
  if (now === undefined || (await deps.storage.taskMemory.faucetMemory(agentId))) return;
  const blocked = await ipBlockedUntil(deps, now);
  if (!blocked) return;
  throw new FleetError(
    "RATE_LIMITED",
    `the faucet refused this IP at ${new Date(blocked.refusedAt).toISOString()} (job ${blocked.jobId}): one claim ` +
      `per IP per 24 h, checked before the agent, so a claim for ${agentId} now would be refused too; nothing was sent`,
    {
      kind: "permanent",
      upstreamCode: "ip_rate_limited",
      hint:
        deps.mode === "sandbox"
          ? SANDBOX_IP_HINT
          : `this IP can claim again after ${new Date(blocked.retryAt).toISOString()} (the wallet monitor claims ` +
            "by itself then); to bet sooner, fund the agent with a deposit",
    },
  );
}

/** One claim job per agent (its idempotency key): a failed one is retried, a live or finished one answered. */
async function enqueueOrRetry(deps: FleetDeps, agentId: string, referralCode: string | undefined): Promise<JobRow> {
  try {
    return await deps.engine.enqueue(TASK.faucetClaim, { agentId, ...(referralCode ? { referralCode } : {}) });
  } catch (err) {
    const existingId = err instanceof FleetError && err.code === "CONFLICT" ? err.details?.jobId : undefined;
    const existing = typeof existingId === "string" ? await deps.engine.get(existingId) : undefined;
    if (!existing) throw err;
    return existing.state === "failed" || existing.state === "dead" ? deps.engine.retry(existing.id) : existing;
  }
}

/** The job's hint, or in sandbox mode for an IP refusal, the sandbox tools that fund the agent today. */
function hintOf(deps: FleetDeps, error: Record<string, unknown>): string | undefined {
  if (deps.mode === "sandbox" && error.upstream_code === "ip_rate_limited") return SANDBOX_IP_HINT;
  return typeof error.hint === "string" ? error.hint : undefined;
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
  const hint = row.error ? hintOf(deps, row.error) : undefined;
  const text =
    row.state === "succeeded"
      ? succeededText(args.agent_id, row.result as FaucetClaimResult, `${deps.mode} mode, job ${row.id}`)
      : waited.finished
        ? `faucet claim ${row.state} for ${args.agent_id}: ${row.error ? `${row.error.code}: ${row.error.message}` : "no reason recorded"} (job ${row.id})${hint ? `\nHint: ${hint}` : ""}`
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
            ...(hint ? { hint } : {}),
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
