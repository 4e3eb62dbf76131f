import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { FleetDeps } from "../src/deps.js";
import { jsonContents } from "../src/mcp/resource-content.js";

/** Flower's queue overview as a resource; subscribers get at most one update per second while jobs finish. */
export function register(server: McpServer, deps: FleetDeps): void {
  server.registerResource(
    "queue-stats",
    "queues://stats",
    {
      title: "Queue statistics",
      description:
        "Per queue: concurrency, queued, running, retrying, succeeded, failed, dead, unknown, throughput, runtimes",
      mimeType: "application/json",
    },
    async (uri) =>
      jsonContents(uri.href, { generated_at: new Date().toISOString(), queues: await deps.engine.stats() }),
  );
}
