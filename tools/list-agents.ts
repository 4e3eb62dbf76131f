import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { agentShape, agentView } from "../src/mcp/agent-view.js";
import { pauseShape, pauseView } from "../src/mcp/risk-view.js";
import { modeField } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";

export const input = {};

export const output = {
  mode: modeField,
  agents: z.array(agentShape),
  domain_accounts: z.array(z.object({ account_id: z.string(), label: z.string(), created_at: z.string() })),
  trading: pauseShape,
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "list_agents",
    title: "List the fleet",
    description: [
      "Lists the fleet's casino agents (id, label, registered or imported, referral code, paused) and its",
      "domains accounts; keys are never shown. Use it first, to know which agent ids other tools can act",
      "for; for balances use wallet_balance, to add an agent register_agent. Read-only and local.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler() {
      const agents = (await deps.fleet.listAgents()).map(agentView);
      const domainAccounts = (await deps.fleet.listDomainAccounts()).map((a) => ({
        account_id: a.accountId,
        label: a.label,
        created_at: new Date(a.createdAt).toISOString(),
      }));
      const trading = await pauseView(deps);
      const lines = agents.map((a) => `${a.agent_id} ${a.label} (${a.source}${a.paused ? ", paused" : ""})`);
      const text = agents.length
        ? `${agents.length} agent(s) in ${deps.mode} mode${trading.fleet_paused ? "; trading PAUSED" : ""}:\n${lines.join("\n")}`
        : `no agents yet (${deps.mode} mode); register_agent creates one`;
      return { structured: { mode: deps.mode, agents, domain_accounts: domainAccounts, trading }, text };
    },
  });
}
