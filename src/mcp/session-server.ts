import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { registerAllResources } from "../../resources/index.js";
import { registerAllTools } from "../../tools/index.js";
import type { FleetDeps } from "../deps.js";
import { attachSubscriptions } from "./subscriptions.js";
import { gateAnswers, takeOverInputValidation } from "./tool.js";
import { packageVersion } from "./version.js";

const INSTRUCTIONS = [
  "pf-fleet runs Purple Flea casino, escrow, faucet and domain operations for a fleet of agents as durable background jobs.",
  "Amounts are USD (1.5 = one dollar fifty), never cents. Every money tool's result states its mode: sandbox (play money) or live.",
  "Long work returns within wait_seconds (max 50) with a job id; follow it with job_status or subscribe to jobs://{id}.",
  "Risk limits come from the operator: get_risk_limits shows them; tools can lower them or pause trading, never raise them.",
  "Start with list_agents; register_agent creates a casino identity; claim_faucet gives a new agent $1 once.",
].join(" ");

export interface SessionServer {
  server: McpServer;
  /** detaches engine listeners; call when the session's transport closes */
  dispose(): void;
}

/**
 * One MCP server over the shared dependencies. Stdio has exactly one; HTTP makes one per session (an
 * McpServer talks to one transport), all sharing the same engine, fleet and database.
 */
export function createSessionServer(deps: FleetDeps): SessionServer {
  const server = new McpServer(
    { name: "pf-fleet", title: "Purple Flea fleet", version: packageVersion() },
    {
      capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true }, logging: {} },
      instructions: INSTRUCTIONS,
    },
  );
  takeOverInputValidation(server);
  gateAnswers(server, () => deps.storage.settled());
  registerAllTools(server, deps);
  registerAllResources(server, deps);
  const detach = attachSubscriptions(server, deps.engine);
  return { server, dispose: detach };
}
