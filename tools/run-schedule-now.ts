import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { modeField } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";

export const input = {
  name: z
    .string()
    .min(1, "must be a schedule name; see list_schedules")
    .describe("schedule name, e.g. `daily-pnl-summary`"),
};

export const output = {
  mode: modeField,
  schedule: z.string(),
  task: z.string(),
  job_id: z.string().describe("follow it with job_status"),
  fired_at: z.string(),
  manual: z.literal(true),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "run_schedule_now",
    title: "Run a schedule now",
    description: [
      "Enqueues one run of a schedule's task right away, with the schedule's args (Flower's 'run now'). It is recorded as a manual run and does not use up the next slot, so the schedule still fires on time.",
      "Returns the job id at once; follow it with job_status. A money schedule (casino batch) runs only while enabled, and its bets are still checked against the risk limits when the job runs: it can place real bets in live mode.",
      "Not for changing a schedule: use set_schedule.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
    async handler(args) {
      const firing = await deps.scheduler.runNow(args.name);
      const task = (await deps.scheduler.get(args.name))?.task ?? "";
      const firedAt = new Date(firing.firedAt).toISOString();
      return {
        structured: {
          mode: deps.mode,
          schedule: args.name,
          task,
          job_id: firing.jobId as string,
          fired_at: firedAt,
          manual: true as const,
        },
        text: `enqueued ${task} for schedule ${args.name} as job ${firing.jobId} (manual run, ${deps.mode} mode); follow it with job_status`,
      };
    },
  });
}
