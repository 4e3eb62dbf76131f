import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { scheduleJson } from "../scheduler/present.js";
import type { FleetDeps } from "../src/deps.js";

export const URI = "schedules://list";

/** The Beat inspector (Flower): every schedule with its next run time and last firing, as JSON. */
export function register(server: McpServer, deps: FleetDeps): void {
  server.registerResource(
    "schedules",
    URI,
    {
      title: "Schedules",
      description:
        "Every periodic schedule (Celery Beat): task, args, cron or interval, timezone, enabled, catch-up policy, next run time (ISO, UTC), last firing with its job's state, and for money schedules the worst-case daily stake against the risk limits.",
      mimeType: "application/json",
    },
    async (uri) => {
      const limits = await deps.fleet.limits();
      const schedules = (await deps.scheduler.list()).map((v) => scheduleJson(v, limits));
      return {
        contents: [
          {
            uri: uri.href,
            mimeType: "application/json",
            text: JSON.stringify({ generated_at: new Date().toISOString(), schedules }, null, 2),
          },
        ],
      };
    },
  );
}
