/**
 * Every MCP resource pf-fleet offers (read models; keys never appear in any of them). Each module exports
 * `register(server, deps)`; `schedules.ts` belongs to the scheduler.
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { FleetDeps } from "../src/deps.js";
import { answerResourceErrorsPerSpec } from "../src/mcp/resource-errors.js";
import * as agents from "./agents.js";
import * as jobs from "./jobs.js";
import * as pnl from "./pnl.js";
import * as queues from "./queues.js";
import * as schedules from "./schedules.js";

interface ResourceModule {
  register(server: McpServer, deps: FleetDeps): void;
}

export const RESOURCE_MODULES: readonly ResourceModule[] = [pnl, jobs, queues, agents, schedules];

export function registerAllResources(server: McpServer, deps: FleetDeps): void {
  for (const resource of RESOURCE_MODULES) resource.register(server, deps);
  // −32002 for a URI that names nothing, −32602 for a malformed one (src/mcp/resource-errors.ts)
  answerResourceErrorsPerSpec(server);
}
