import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { pauseShape, pauseView } from "../src/mcp/risk-view.js";
import { agentId } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";

export const input = {
  agent_id: agentId.optional().describe("resume only this agent; omit to lift the fleet-wide pause"),
  include_paused_agents: z
    .boolean()
    .default(false)
    .describe("with no agent_id: also resume every individually paused agent"),
};

export const output = { trading: pauseShape };

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "resume_trading",
    title: "Resume trading",
    description: [
      "Lifts a pause set by pause_trading: fleet-wide (default), for one agent (agent_id), or fleet-wide",
      "plus every paused agent (include_paused_agents). Use it only once the reason for the pause no longer",
      "holds. It does not raise lowered limits, and an agent that reached its daily loss limit stays",
      "stopped until the next UTC day. Returns the pause state.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler(args) {
      if (args.agent_id) {
        if (!(await deps.fleet.getAgent(args.agent_id))) {
          throw new FleetError("NOT_FOUND", `no agent \`${args.agent_id}\` in the fleet`, {
            hint: "list_agents shows the fleet",
          });
        }
        await deps.fleet.resume({ agentId: args.agent_id });
      } else {
        await deps.fleet.resume({});
        if (args.include_paused_agents) {
          for (const id of (await deps.fleet.pauseState()).pausedAgents) await deps.fleet.resume({ agentId: id });
        }
      }
      deps.logger.warn({ agentId: args.agent_id, all: args.include_paused_agents }, "trading resumed by tool");
      const trading = await pauseView(deps);
      const still = trading.fleet_paused
        ? `fleet still paused: ${trading.reason}`
        : trading.paused_agents.length
          ? `trading active; still paused: ${trading.paused_agents.join(", ")}`
          : "trading active for the whole fleet";
      return { structured: { trading }, text: still };
    },
  });
}
