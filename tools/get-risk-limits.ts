import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { limitsShape, limitsView, lossesToday, pauseShape, pauseView } from "../src/mcp/risk-view.js";
import { agentId } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { formatUsd, microsToUsd } from "../src/money.js";

export const input = { agent_id: agentId.optional().describe("also show this agent's own limits and loss headroom") };

const agentLine = z.object({
  agent_id: z.string(),
  paused: z.boolean(),
  limits: limitsShape,
  lost_today_usd: z.number(),
  loss_headroom_usd: z.number(),
});

export const output = {
  mode: z.enum(["sandbox", "live"]),
  configured: limitsShape.describe("the operator's configuration (PF_MAX_BET_USD, …): the ceiling"),
  effective: limitsShape.describe("what applies now: the configuration with any tightening"),
  trading: pauseShape,
  fleet_lost_today_usd: z.number().describe("realised loss of the current UTC day, all agents"),
  fleet_loss_headroom_usd: z.number(),
  agents: z.array(agentLine),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "get_risk_limits",
    title: "Risk limits",
    description: [
      "Shows the risk limits every bet must pass, in USD: max single bet, max total stake per batch, daily realised-loss limit per agent and fleet-wide (UTC day), today's losses and remaining headroom, and whether trading is paused.",
      "Use it before planning a batch, or to explain a LIMIT_EXCEEDED / TRADING_PAUSED refusal. Limits come from the operator's configuration: no tool can raise them; pause_trading can lower them or pause.",
      "A batch is checked against the worst case (every stake lost) so it can never take a day's loss past a limit. Read-only and local.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler(args) {
      if (args.agent_id && !(await deps.fleet.getAgent(args.agent_id))) {
        throw new FleetError("NOT_FOUND", `no agent \`${args.agent_id}\` in the fleet`, {
          hint: "list_agents shows the fleet",
        });
      }
      const effective = await deps.fleet.limits();
      const losses = await lossesToday(deps);
      const agentIds = args.agent_id ? [args.agent_id] : (await deps.fleet.listAgents()).map((a) => a.agentId);
      const agents = await Promise.all(
        agentIds.map(async (id) => {
          const limits = await deps.fleet.limitsFor(id);
          const lost = losses.byAgent.get(id) ?? 0;
          return {
            agent_id: id,
            paused: (await deps.fleet.getAgent(id))?.paused ?? false,
            limits: limitsView(limits),
            lost_today_usd: microsToUsd(lost),
            loss_headroom_usd: microsToUsd(Math.max(0, limits.dailyLossLimit - lost)),
          };
        }),
      );
      const trading = await pauseView(deps);
      const headroom = Math.max(0, effective.fleetDailyLossLimit - losses.fleet);
      const text = [
        `mode ${deps.mode}; trading ${trading.fleet_paused ? `PAUSED (${trading.reason})` : "active"}`,
        `max bet $${formatUsd(effective.maxBet)}, max batch $${formatUsd(effective.maxBatch)}, daily loss $${formatUsd(effective.dailyLossLimit)} per agent / $${formatUsd(effective.fleetDailyLossLimit)} fleet`,
        `lost today $${formatUsd(losses.fleet)}; fleet headroom $${formatUsd(headroom)}`,
        ...agents.map(
          (a) =>
            `${a.agent_id}${a.paused ? " (paused)" : ""}: lost $${a.lost_today_usd.toFixed(2)}, headroom $${a.loss_headroom_usd.toFixed(2)}`,
        ),
      ].join("\n");
      return {
        structured: {
          mode: deps.mode,
          configured: limitsView(deps.config.limits),
          effective: limitsView(effective),
          trading,
          fleet_lost_today_usd: microsToUsd(losses.fleet),
          fleet_loss_headroom_usd: microsToUsd(headroom),
          agents,
        },
        text,
      };
    },
  });
}
