import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { registerTool } from "../src/mcp/tool.js";

export const input = {
  name: z
    .string()
    .min(1, "must be a schedule name; see list_schedules")
    .describe("the schedule to delete, one made by create_schedule"),
};

export const output = {
  deleted: z.string(),
  task: z.string(),
  was_enabled: z.boolean(),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "delete_schedule",
    title: "Delete a schedule",
    description: [
      "Deletes a schedule made by create_schedule, for good and for every pf-fleet process sharing the database: no slot fires after it returns. Jobs it already enqueued are kept and run as usual (list_jobs shows them).",
      "Built-in schedules cannot be deleted (FORBIDDEN; they come back at every start): disable one with set_schedule enabled=false. An unknown name is NOT_FOUND; list_schedules shows the names.",
    ].join(" "),
    input,
    output,
    // deleting it again finds nothing (NOT_FOUND) and changes nothing
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    async handler(args) {
      const s = await deps.scheduler.delete(args.name);
      return {
        structured: { deleted: s.name, task: s.task, was_enabled: s.enabled },
        text: `deleted schedule ${s.name} (${s.task}, was ${s.enabled ? "enabled" : "disabled"}); it will not fire again. Jobs it already enqueued are kept.`,
      };
    },
  });
}
