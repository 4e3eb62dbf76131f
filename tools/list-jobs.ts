import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { QUEUE_NAMES } from "../src/config.js";
import type { FleetDeps } from "../src/deps.js";
import { JOB_STATES } from "../src/jobs/types.js";
import { jobLine, jobShape, jobView } from "../src/mcp/job-view.js";
import { cursor, pageLimit } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";

const STATES = JOB_STATES;

export const input = {
  state: z
    .array(z.enum(STATES))
    .min(1, "must list at least one state")
    .optional()
    .describe('only jobs in these states, e.g. ["dead", "unknown"] for what needs attention'),
  queue: z.enum(QUEUE_NAMES).optional().describe("only this queue"),
  task: z.string().min(1).optional().describe("only this task, e.g. `casino.bet_batch` or `escrow.release`"),
  canvas_id: z.string().min(1).optional().describe("only the members of this batch/chain"),
  limit: pageLimit(200, 50),
  cursor,
};

export const output = {
  jobs: z.array(jobShape).describe("money in args and result is USD under `_usd` names (amount_usd: 0.01 is one cent)"),
  next_cursor: z.string().nullable().describe("pass as `cursor` for the next page; null on the last page"),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "list_jobs",
    title: "List jobs",
    description: [
      "Lists background jobs, newest first, by state, queue, task or batch (canvas_id), a page at a time",
      "(follow next_cursor). Use it to find failures (dead/failed/unknown), what a batch is doing, or a",
      "lost job id; for one job use job_status, for totals queue_stats. Money in args and results is USD",
      "under `_usd` names. Finished jobs are kept PF_RESULT_TTL_HOURS (default 24 h); the ledger keeps bets",
      "and escrows for good. Read-only.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler(args) {
      const page = await deps.engine.list({
        ...(args.state ? { state: args.state } : {}),
        ...(args.queue ? { queue: args.queue } : {}),
        ...(args.task ? { task: args.task } : {}),
        ...(args.canvas_id ? { canvasId: args.canvas_id } : {}),
        limit: args.limit,
        ...(args.cursor ? { cursor: args.cursor } : {}),
      });
      const lines = page.jobs.map(jobLine);
      const more = page.nextCursor ? `\nmore: call again with cursor ${page.nextCursor}` : "";
      return {
        structured: { jobs: page.jobs.map(jobView), next_cursor: page.nextCursor },
        text: lines.length ? `${lines.length} job(s):\n${lines.join("\n")}${more}` : "no jobs match",
      };
    },
  });
}
