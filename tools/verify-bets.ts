import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { agentId, TASK } from "../src/jobs/tasks/args.js";
import type { VerifyResult } from "../src/jobs/tasks/casino-verify.js";
import type { JobRow } from "../src/jobs/types.js";
import { modeField, waitSeconds } from "../src/mcp/schemas.js";
import type { StartedJob } from "../src/mcp/tasks.js";
import { registerTool, type ToolContext } from "../src/mcp/tool.js";
import { awaitJob, isTerminal } from "../src/mcp/wait.js";
import { unknownAgents } from "./_agents.js";
import { failedJobError, jobSentence, jobView, toJobView } from "./_job.js";

/**
 * `verify_bets`: provably-fair verification. Rotating an agent's server seed reveals the old one, and the casino
 * reveals each seed it rotates by itself after 1,000 bets; every ledger bet placed under a revealed seed is
 * re-derived and compared with what the server reported.
 */

/** One group per call; its members are listed in one page. */
const MAX_AGENTS = 100;

const input = {
  agent_ids: z
    .array(agentId)
    .min(1, "must list at least one agent id, or be omitted for the whole fleet")
    .max(MAX_AGENTS, `must list at most ${MAX_AGENTS} agents`)
    .optional()
    .describe("fleet agents to verify; omit for every fleet agent"),
  rotate: z
    .boolean()
    .default(true)
    .describe("rotate the server seed first (reveals it, so the bets under it can be checked); false re-checks only"),
  wait_seconds: waitSeconds,
};

const mismatch = z.object({
  bet_id: z.string(),
  client_seed: z.string(),
  nonce: z.number().int(),
  field: z.string().describe("roll | result_hash | won | multiplier | commitment"),
  ledger: z.unknown().describe("what the server reported (as recorded in the ledger)"),
  derived: z.unknown().describe("what the revealed seed gives"),
});

const output = {
  mode: modeField,
  job: jobView.describe("one job per agent"),
  all_verified: z.boolean().nullable().describe("null while running or if an agent could not be checked"),
  checked: z.number().int(),
  mismatch_count: z.number().int(),
  agents: z.array(
    z.object({
      agent_id: z.string(),
      job_id: z.string(),
      state: z.string(),
      rotated: z.boolean().nullable(),
      new_seed_hash: z.string().nullable().describe("the commitment now in force, when rotated"),
      seeds: z.array(z.object({ seed_hash: z.string(), bets: z.number().int(), commitment_ok: z.boolean() })),
      checked: z.number().int(),
      mismatches: z.array(mismatch),
      error: z.string().optional(),
    }),
  ),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "verify_bets",
    title: "Verify bets (provably fair)",
    description: [
      "Checks that the casino played fair: rotates each agent's server seed (unless rotate: false), which",
      "reveals it, then re-derives every ledger bet placed under a revealed seed — HMAC_SHA256(seed,",
      "client_seed:nonce) → roll → outcome — compares it with what the server reported, and checks each",
      "seed against its SHA-256 commitment (seeds the casino rotated itself, every 1,000 bets, are read",
      "from GET /fairness/seeds). Bets under the seed in use wait until it rotates. Moves no money. Use",
      "after batches. Returns bets checked and every mismatch per agent, or the job id if not finished",
      "within wait_seconds.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    async handler(args, ctx) {
      return finishVerify(deps, await startVerify(deps, args), { waitSeconds: args.wait_seconds }, ctx);
    },
    task: {
      start: (args) => startVerify(deps, args),
      finish: (started, wait, ctx) => finishVerify(deps, started as StartedJob<VerifyReplay>, wait, ctx),
    },
  });
}

type VerifyReplay = { ids: string[] };

async function startVerify(
  deps: FleetDeps,
  args: { agent_ids?: string[] | undefined; rotate: boolean },
): Promise<StartedJob<VerifyReplay>> {
  const ids = await selectAgents(deps, args.agent_ids);
  const group = await deps.engine.group({
    members: ids.map((id) => ({ task: TASK.verifyBets, args: { agentId: id, rotate: args.rotate } })),
  });
  return { jobId: group.id, replay: { ids } };
}

async function finishVerify(
  deps: FleetDeps,
  { jobId, replay: { ids } }: StartedJob<VerifyReplay>,
  wait: { waitSeconds: number },
  ctx: ToolContext,
) {
  const awaited = await awaitJob(deps, jobId, { waitSeconds: wait.waitSeconds, ctx });
  const members = (await deps.engine.list({ canvasId: jobId, limit: ids.length + 1 })).jobs.filter(
    (j) => j.id !== jobId,
  );
  const agents = ids.map((id) =>
    agentOut(
      id,
      members.find((m) => (m.args as { agentId?: string }).agentId === id),
    ),
  );
  const first = members[0];
  if (awaited.finished && first && members.every((m) => isTerminal(m) && m.state !== "succeeded")) {
    throw failedJobError(first);
  }
  const checked = agents.reduce((n, a) => n + a.checked, 0);
  const mismatchCount = agents.reduce((n, a) => n + a.mismatches.length, 0);
  const complete = awaited.finished && agents.every((a) => a.state === "succeeded");
  const allVerified = complete ? mismatchCount === 0 : mismatchCount > 0 ? false : null;
  return {
    structured: {
      mode: deps.mode,
      job: toJobView(awaited),
      all_verified: allVerified,
      checked,
      mismatch_count: mismatchCount,
      agents,
    },
    text: [
      `[${deps.mode}] ${checked} bet(s) re-derived across ${ids.length} agent(s): ${
        mismatchCount ? `${mismatchCount} MISMATCH(ES)` : "no mismatch"
      }${complete ? "" : `; ${jobSentence(awaited)}`}.`,
      ...agents.map(
        (a) =>
          `- ${a.agent_id}: ${a.error ?? `${a.checked} checked under ${a.seeds.length} revealed seed(s), ${a.mismatches.length} mismatch(es)`}`,
      ),
    ].join("\n"),
  };
}

async function selectAgents(deps: FleetDeps, requested: string[] | undefined): Promise<string[]> {
  if (requested) {
    const unknown = await unknownAgents(deps, requested);
    if (unknown.length) {
      throw new FleetError("NOT_FOUND", `not fleet agents: ${unknown.join(", ")}`, {
        hint: "list_agents shows the fleet's agent ids",
      });
    }
    return [...new Set(requested)];
  }
  const all = (await deps.fleet.listAgents()).map((a) => a.agentId);
  if (all.length === 0) {
    throw new FleetError("NOT_FOUND", "the fleet has no agents to verify", { hint: "register_agent creates one" });
  }
  if (all.length > MAX_AGENTS) {
    throw new FleetError(
      "INVALID_INPUT",
      `the fleet has ${all.length} agents; one call verifies at most ${MAX_AGENTS}`,
      {
        hint: `pass agent_ids, up to ${MAX_AGENTS} per call`,
      },
    );
  }
  return all;
}

function agentOut(agentId: string, job: JobRow | undefined) {
  const r = job?.state === "succeeded" ? (job.result as VerifyResult) : undefined;
  const error = job?.error ? `${String(job.error.code)}: ${String(job.error.message)}` : undefined;
  return {
    agent_id: agentId,
    job_id: job?.id ?? "",
    state: job?.state ?? "unknown",
    rotated: r ? r.rotated : null,
    new_seed_hash: r?.newSeedHash ?? null,
    seeds: (r?.seeds ?? []).map((s) => ({ seed_hash: s.seedHash, bets: s.bets, commitment_ok: s.commitmentOk })),
    checked: r?.checked ?? 0,
    mismatches: (r?.mismatches ?? []).map((m) => ({
      bet_id: m.betId,
      client_seed: m.clientSeed,
      nonce: m.nonce,
      field: m.field,
      ledger: m.ledger,
      derived: m.derived,
    })),
    ...(error ? { error } : {}),
  };
}
