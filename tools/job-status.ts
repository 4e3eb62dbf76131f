import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { eventView, jobBetShape, jobBetsView, jobEventShape, jobLine, jobShape, jobView } from "../src/mcp/job-view.js";
import { MAX_WAIT_SECONDS } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { awaitJob, pendingSummary } from "../src/mcp/wait.js";

export const input = {
  job_id: z.string().min(1, "must be a job id from a previous tool result or list_jobs").describe("the job's id"),
  wait_seconds: z
    .number()
    .min(0, `must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`)
    .max(MAX_WAIT_SECONDS, `must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`)
    .default(0)
    .describe(`wait up to this long for the job to finish (0–${MAX_WAIT_SECONDS}, default 0 = answer now)`),
  include_events: z.boolean().default(false).describe("also return every state change with its reason"),
};

export const output = {
  job: jobShape.describe("money in args and result is USD under `_usd` names (amount_usd: 0.01 is one cent)"),
  finished: z.boolean(),
  members: z
    .record(z.string(), z.number())
    .nullable()
    .describe("for a group/chord/chain: how many members are in each state"),
  events: z.array(jobEventShape).optional(),
  bets: z
    .array(jobBetShape)
    .optional()
    .describe("for a bet batch call (casino.bet_batch): each bet it placed, from the ledger, in seed order"),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "job_status",
    title: "Job status",
    description: [
      "Shows one background job (a batch or escrow chain is a job with members): its state, attempts,",
      "progress, args, result or error with a hint. Money in args and results is USD under `_usd` names (a",
      "bet call's wagered_usd, pnl_usd, nets_usd; its bets, from the ledger, under `bets`). wait_seconds",
      "(max 50) waits for it to finish, with progress",
      "notifications; waiting never changes the job. For many jobs use list_jobs. States: queued, running,",
      "retrying, waiting, succeeded, failed, dead (out of attempts; retry_job), cancelled, expired, unknown",
      "(money outcome not provable; never retried blindly).",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler(args, ctx) {
      if (!(await deps.engine.get(args.job_id))) {
        throw new FleetError("NOT_FOUND", `no job with id \`${args.job_id}\``, {
          hint: "list_jobs shows recent jobs; finished jobs are kept for PF_RESULT_TTL_HOURS",
        });
      }
      const waited = await awaitJob(deps, args.job_id, { waitSeconds: args.wait_seconds, ctx });
      const members = await memberCounts(deps, args.job_id);
      const bets = await jobBetsView(deps.storage, waited.job);
      const text = waited.finished ? jobLine(waited.job) : `${jobLine(waited.job)}\n${pendingSummary(waited)}`;
      return {
        structured: {
          job: jobView(waited.job),
          finished: waited.finished,
          members,
          ...(args.include_events ? { events: (await deps.engine.events(args.job_id)).map(eventView) } : {}),
          ...(bets ? { bets } : {}),
        },
        text,
      };
    },
  });
}

async function memberCounts(deps: FleetDeps, canvasId: string): Promise<Record<string, number> | null> {
  const counts: Record<string, number> = {};
  let cursor: string | undefined;
  let seen = 0;
  do {
    const page = await deps.engine.list({ canvasId, limit: 500, ...(cursor ? { cursor } : {}) });
    for (const job of page.jobs) {
      if (job.id === canvasId) continue;
      counts[job.state] = (counts[job.state] ?? 0) + 1;
      seen++;
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor && seen < 5_000);
  return seen ? counts : null;
}
