import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { jobLine, jobShape, jobView } from "../src/mcp/job-view.js";
import { registerTool } from "../src/mcp/tool.js";

export const input = {
  job_id: z.string().min(1, "must be a job id").describe("the job, batch or chain to cancel"),
  reason: z
    .string()
    .min(3, "must say why in at least 3 characters")
    .max(200)
    .default("cancelled by the operator's agent"),
};

export const output = { job: jobShape };

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "cancel_job",
    title: "Cancel a job",
    description: [
      "Revokes a job that has not finished: queued or retrying jobs never run, a running job's HTTP call is",
      "aborted, and a batch's or chain's pending members are cancelled. A request already sent cannot be",
      "recalled: if it may have reached the server, its outcome is reconciled and recorded. To stop all",
      "trading use pause_trading instead. A finished job cannot be cancelled (CONFLICT). Returns the job",
      "after the cancel.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    async handler(args) {
      if (!(await deps.engine.get(args.job_id))) {
        throw new FleetError("NOT_FOUND", `no job with id \`${args.job_id}\``, { hint: "list_jobs shows job ids" });
      }
      const job = await deps.engine.cancel(args.job_id, args.reason);
      return { structured: { job: jobView(job) }, text: jobLine(job) };
    },
  });
}
