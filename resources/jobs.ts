import { type McpServer, ResourceTemplate } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { FleetDeps } from "../src/deps.js";
import { recentJobIds } from "../src/mcp/completions.js";
import { eventView, jobBetsView, jobLine, jobView } from "../src/mcp/job-view.js";
import { jsonContents } from "../src/mcp/resource-content.js";
import { resourceNotFound } from "../src/mcp/resource-errors.js";
import { jobProgress } from "../src/mcp/wait.js";

/** One job (or batch/chain) with its history; subscribe to hear when it changes state and finishes. */
export function register(server: McpServer, deps: FleetDeps): void {
  server.registerResource(
    "job",
    new ResourceTemplate("jobs://{id}", {
      list: async () => ({
        resources: (await deps.engine.list({ limit: 20 })).jobs.map((j) => ({
          uri: `jobs://${j.id}`,
          name: `${j.task} ${j.id}`,
          description: j.state,
          mimeType: "application/json",
        })),
      }),
      complete: { id: (value) => recentJobIds(deps, value) },
    }),
    {
      title: "Job",
      description:
        "A background job by id: state, progress, args and result (money in USD under `_usd` names) or error, every state change, and for a bet call its bets from the ledger. Subscribe for an update when it finishes.",
      mimeType: "application/json",
    },
    async (uri, variables) => {
      const id = String(variables.id ?? "");
      const job = await deps.engine.get(id);
      if (!job) throw resourceNotFound(uri.href, `no job with id \`${id}\``);
      const bets = await jobBetsView(deps.storage, job);
      return jsonContents(
        uri.href,
        {
          job: jobView(job),
          progress: await jobProgress(deps.engine, job),
          events: (await deps.engine.events(id)).map(eventView),
          ...(bets ? { bets } : {}),
        },
        jobLine(job),
      );
    },
  );
}
