/**
 * Every MCP prompt pf-fleet offers: plans a user picks from a menu, each naming the tools to call in order with
 * the user's arguments filled in. Each module exports `register(server, deps, tools)` and registers its prompt
 * only when the tools it needs are offered (toolsets, read-only mode), so register prompts after tools.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { FleetDeps } from "../src/deps.js";
import { type OfferedTools, offeredTools } from "./_prompt.js";
import * as fleetHealth from "./fleet-health.js";
import * as reviewPnl from "./review-pnl.js";
import * as runSmallStrategy from "./run-small-strategy.js";
import * as settleEscrows from "./settle-escrows.js";

interface PromptModule {
  register(server: McpServer, deps: FleetDeps, tools: OfferedTools): void;
}

export const PROMPT_MODULES: readonly PromptModule[] = [runSmallStrategy, reviewPnl, settleEscrows, fleetHealth];

export function registerAllPrompts(server: McpServer, deps: FleetDeps): void {
  const tools = offeredTools(server);
  for (const prompt of PROMPT_MODULES) prompt.register(server, deps, tools);
}
