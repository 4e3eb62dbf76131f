import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { RiskLimits } from "../src/config.js";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { limitsShape, limitsView, lossesToday, lossHeadroom, pauseShape, pauseView } from "../src/mcp/risk-view.js";
import { agentId } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { formatUsd, microsToUsd } from "../src/money.js";

/** The escrow and transfer limits as tools show them (USD): per call, and the fleet's total per UTC day. */
export const spendLimitsShape = z.object({
  max_escrow_usd: z.number(),
  daily_escrow_usd: z.number().describe("fleet-wide, per UTC day"),
  max_transfer_usd: z.number(),
  daily_transfer_usd: z.number().describe("fleet-wide, per UTC day"),
});

export function spendLimitsView(l: RiskLimits): z.infer<typeof spendLimitsShape> {
  return {
    max_escrow_usd: microsToUsd(l.maxEscrow),
    daily_escrow_usd: microsToUsd(l.dailyEscrow),
    max_transfer_usd: microsToUsd(l.maxTransfer),
    daily_transfer_usd: microsToUsd(l.dailyTransfer),
  };
}

const spendToday = z.object({
  spent_today_usd: z.number().describe("done today (UTC), from the ledger"),
  in_flight_usd: z.number().describe("reserved by jobs not yet finished"),
  headroom_usd: z.number(),
});

export const input = { agent_id: agentId.optional().describe("also show this agent's own limits and loss headroom") };

const agentLine = z.object({
  agent_id: z.string(),
  paused: z.boolean(),
  limits: limitsShape,
  lost_today_usd: z.number(),
  in_flight_stake_usd: z.number().describe("stakes of bets in flight, counted as lost until they settle"),
  loss_headroom_usd: z.number(),
});

export const output = {
  mode: z.enum(["sandbox", "live"]),
  configured: limitsShape.describe("the operator's: the ceiling"),
  effective: limitsShape.describe("with any tightening"),
  trading: pauseShape,
  fleet_lost_today_usd: z.number().describe("UTC day"),
  fleet_in_flight_stake_usd: z.number(),
  fleet_loss_headroom_usd: z.number().describe("limit − lost − in flight"),
  spend_limits: z.object({
    configured: spendLimitsShape,
    effective: spendLimitsShape,
    escrow: spendToday,
    transfer: spendToday,
  }),
  agents: z.array(agentLine),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "get_risk_limits",
    title: "Risk limits",
    description: [
      "Shows the operator's risk limits in USD: max bet, max batch stake, daily loss limit per agent and",
      "fleet-wide (UTC day) with today's losses, stakes in flight and headroom; max escrow and transfer and",
      "the fleet's daily totals with today's spend; and whether trading is paused. A batch counts every",
      "stake as lost, so it can never take a day past a limit. Use it before planning a batch or a payment,",
      "or to explain LIMIT_EXCEEDED / TRADING_PAUSED. Read-only and local.",
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
      const money = await deps.fleet.moneyToday();
      const agentIds = args.agent_id ? [args.agent_id] : (await deps.fleet.listAgents()).map((a) => a.agentId);
      const agents = await Promise.all(
        agentIds.map(async (id) => {
          const limits = await deps.fleet.limitsFor(id);
          const lost = losses.byAgent.get(id) ?? 0;
          const inFlight = money.reservedStake.byAgent.get(id) ?? 0;
          return {
            agent_id: id,
            paused: (await deps.fleet.getAgent(id))?.paused ?? false,
            limits: limitsView(limits),
            lost_today_usd: microsToUsd(lost),
            in_flight_stake_usd: microsToUsd(inFlight),
            loss_headroom_usd: microsToUsd(lossHeadroom(limits.dailyLossLimit, lost, inFlight)),
          };
        }),
      );
      const trading = await pauseView(deps);
      const headroom = lossHeadroom(effective.fleetDailyLossLimit, losses.fleet, money.reservedStake.fleet);
      const spend = (s: { spent: number; reserved: number }, limit: number) => ({
        spent_today_usd: microsToUsd(s.spent),
        in_flight_usd: microsToUsd(s.reserved),
        headroom_usd: microsToUsd(Math.max(0, limit - s.spent - s.reserved)),
      });
      const text = [
        `mode ${deps.mode}; trading ${trading.fleet_paused ? `PAUSED (${trading.reason})` : "active"}`,
        `max bet $${formatUsd(effective.maxBet)}, max batch $${formatUsd(effective.maxBatch)}, daily loss $${formatUsd(effective.dailyLossLimit)} per agent / $${formatUsd(effective.fleetDailyLossLimit)} fleet`,
        `lost today $${formatUsd(losses.fleet)}, $${formatUsd(money.reservedStake.fleet)} staked in flight; fleet headroom $${formatUsd(headroom)}`,
        `max escrow $${formatUsd(effective.maxEscrow)} (escrowed today $${formatUsd(money.escrow.spent + money.escrow.reserved)} of $${formatUsd(effective.dailyEscrow)}), max transfer $${formatUsd(effective.maxTransfer)} (sent today $${formatUsd(money.transfer.spent + money.transfer.reserved)} of $${formatUsd(effective.dailyTransfer)})`,
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
          fleet_in_flight_stake_usd: microsToUsd(money.reservedStake.fleet),
          fleet_loss_headroom_usd: microsToUsd(headroom),
          spend_limits: {
            configured: spendLimitsView(deps.config.limits),
            effective: spendLimitsView(effective),
            escrow: spend(money.escrow, effective.dailyEscrow),
            transfer: spend(money.transfer, effective.dailyTransfer),
          },
          agents,
        },
        text,
      };
    },
  });
}
