import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { jobLine, jobShape, jobView } from "../src/mcp/job-view.js";
import { registerTool } from "../src/mcp/tool.js";

export const input = {
  job_id: z.string().min(1, "must be a job id").describe("a dead, failed or unknown job (see list_jobs with state)"),
};

export const output = { job: jobShape };

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "retry_job",
    title: "Retry a dead job",
    description: [
      "Puts a dead (out of attempts), failed or unknown job back in its queue with fresh attempts (Celery's",
      "retry from the dead-letter queue). A money job is never re-sent blindly: an unknown outcome is",
      "reconciled with the server first, and one known to have moved money is refused (CONFLICT). Retrying",
      "the step that stopped a chain resumes the chain; for a group or chord, retry its failed member. Use",
      "it after fixing the cause job_status shows; not for changing arguments. Returns the re-queued job.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    async handler(args) {
      if (!(await deps.engine.get(args.job_id))) {
        throw new FleetError("NOT_FOUND", `no job with id \`${args.job_id}\``, { hint: "list_jobs shows job ids" });
      }
      const job = await deps.engine.retry(args.job_id);
      return { structured: { job: jobView(job) }, text: `re-queued: ${jobLine(job)}` };
    },
  });
}
