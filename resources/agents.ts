import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { FleetDeps } from "../src/deps.js";
import { agentView } from "../src/mcp/agent-view.js";
import { jsonContents } from "../src/mcp/resource-content.js";
import { limitsView, pauseView } from "../src/mcp/risk-view.js";

/** The fleet: agents (never their keys), domain accounts, the pause state and the effective limits. */
export function register(server: McpServer, deps: FleetDeps): void {
  server.registerResource(
    "agents",
    "agents://list",
    {
      title: "Fleet agents",
      description:
        "The fleet's casino agents and domain accounts (keys are never included), trading pause state and risk limits in USD",
      mimeType: "application/json",
    },
    async (uri) =>
      jsonContents(uri.href, {
        mode: deps.mode,
        agents: (await deps.fleet.listAgents()).map(agentView),
        domain_accounts: (await deps.fleet.listDomainAccounts()).map((a) => ({
          account_id: a.accountId,
          label: a.label,
          created_at: new Date(a.createdAt).toISOString(),
        })),
        trading: await pauseView(deps),
        limits: limitsView(await deps.fleet.limits()),
      }),
  );
}
