import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { registerAllPrompts } from "../../prompts/index.js";
import { registerAllResources } from "../../resources/index.js";
import { registerAllTools } from "../../tools/index.js";
import type { FleetDeps } from "../deps.js";
import { registerFleetView } from "./apps/fleet-view.js";
import { SERVER_CAPABILITIES, SERVER_INSTRUCTIONS, serverIdentity } from "./server-info.js";
import { attachSubscriptions } from "./subscriptions.js";
import { JobTasks } from "./tasks.js";
import { gateAnswers, takeOverInputValidation } from "./tool.js";

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
  // the job table answers tasks/* (src/mcp/tasks.ts); the long tools register themselves with it
  const tasks = new JobTasks(deps);
  // the same constants the stdio entry point answers `initialize` with before this server exists
  const server = new McpServer(serverIdentity(), {
    capabilities: SERVER_CAPABILITIES,
    instructions: SERVER_INSTRUCTIONS,
    taskStore: tasks,
  });
  tasks.attach(server);
  takeOverInputValidation(server);
  gateAnswers(server, () => deps.storage.settled());
  registerAllTools(server, deps);
  registerAllResources(server, deps);
  registerFleetView(server);
  // after the tools: a prompt is offered only when the tools it names are
  registerAllPrompts(server, deps);
  const detach = attachSubscriptions(server, deps.engine);
  return { server, dispose: detach };
}
