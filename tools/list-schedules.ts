import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import { scheduleJson, scheduleLine, scheduleShape } from "../scheduler/present.js";
import type { FleetDeps } from "../src/deps.js";
import { registerTool } from "../src/mcp/tool.js";

export const input = {};

export const output = { schedules: z.array(scheduleShape) };

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "list_schedules",
    title: "List schedules",
    description: [
      "Lists pf-fleet's periodic schedules (Celery Beat): each one's task, args (money in USD under `_usd` names, e.g. amount_usd per bet), cron expression or interval (UTC unless a timezone is set), enabled or not, catch-up policy after downtime, next run time, and its last firing with the job's state.",
      "Money schedules (casino batches) ship disabled and show their worst-case daily stake in USD against the risk limits.",
      "Use it before set_schedule or run_schedule_now, or to check that periodic work is happening. Read-only and local.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler() {
      const limits = await deps.fleet.limits();
      const schedules = (await deps.scheduler.list()).map((v) => scheduleJson(v, limits));
      return { structured: { schedules }, text: schedules.map(scheduleLine).join("\n") };
    },
  });
}
