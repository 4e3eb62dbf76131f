import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { RiskLimits } from "../src/config.js";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { limitsShape, limitsView, pauseShape, pauseView } from "../src/mcp/risk-view.js";
import { agentId, usd } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { spendLimitsShape, spendLimitsView } from "./get-risk-limits.js";

const lower = (what: string) => usd({ min: 0.01 }).optional().describe(`lower ${what} to this many USD`);

export const input = {
  reason: z
    .string()
    .trim()
    .min(3, "must say why in at least 3 characters")
    .max(200)
    .describe("shown to whoever resumes"),
  agent_id: agentId.optional().describe("pause or restrict only this agent; omit for the whole fleet"),
  pause: z.boolean().default(true).describe("false = only lower the limits given, keep trading"),
  max_bet_usd: lower("the largest single stake"),
  max_batch_usd: lower("the largest total stake of one batch"),
  daily_loss_limit_usd: lower("the per-agent daily loss limit"),
  fleet_daily_loss_limit_usd: lower("the fleet-wide daily loss limit (fleet only, not per agent)"),
  max_escrow_usd: lower("the largest single escrow"),
  daily_escrow_usd: lower("the fleet-wide total escrowed per UTC day (fleet only)"),
  max_transfer_usd: lower("the largest single transfer"),
  daily_transfer_usd: lower("the fleet-wide total transferred out per UTC day (fleet only)"),
};

export const output = {
  trading: pauseShape,
  effective: limitsShape,
  agent_limits: limitsShape.nullable(),
  spend_limits: spendLimitsShape.describe("escrow and transfer limits in effect (for agent_id: that agent's)"),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "pause_trading",
    title: "Pause or restrict trading",
    description: [
      "The kill switch: stops money movement fleet-wide or for one agent (bets, escrow creates and",
      "releases, transfers, and fleet-wide domain purchases) and/or lowers risk limits, in USD and only",
      "ever lower (a value above the current one is refused with LIMIT_EXCEEDED, nothing written).",
      "Persisted across restarts. Requests already sent finish; queued money jobs fail with TRADING_PAUSED",
      "when they would send (retry_job after resume_trading). Faucet claims, escrow complete/dispute and",
      "reads go on. The fleet-wide daily limits apply to the fleet only. Returns the pause state and the",
      "effective limits; resume_trading lifts a pause, lowered limits stay lowered.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async handler(args) {
      if (args.agent_id && !(await deps.fleet.getAgent(args.agent_id))) {
        throw new FleetError("NOT_FOUND", `no agent \`${args.agent_id}\` in the fleet`, {
          hint: "list_agents shows the fleet",
        });
      }
      const change: Partial<RiskLimits> = {
        ...(args.max_bet_usd !== undefined ? { maxBet: args.max_bet_usd } : {}),
        ...(args.max_batch_usd !== undefined ? { maxBatch: args.max_batch_usd } : {}),
        ...(args.daily_loss_limit_usd !== undefined ? { dailyLossLimit: args.daily_loss_limit_usd } : {}),
        ...(args.fleet_daily_loss_limit_usd !== undefined
          ? { fleetDailyLossLimit: args.fleet_daily_loss_limit_usd }
          : {}),
        ...(args.max_escrow_usd !== undefined ? { maxEscrow: args.max_escrow_usd } : {}),
        ...(args.daily_escrow_usd !== undefined ? { dailyEscrow: args.daily_escrow_usd } : {}),
        ...(args.max_transfer_usd !== undefined ? { maxTransfer: args.max_transfer_usd } : {}),
        ...(args.daily_transfer_usd !== undefined ? { dailyTransfer: args.daily_transfer_usd } : {}),
      };
      const lowering = Object.keys(change).length > 0;
      if (!args.pause && !lowering) {
        throw new FleetError("INVALID_INPUT", "pause is false and no limit was given: nothing to do", {
          hint: "set pause true, or give at least one limit to lower",
        });
      }
      // Tightening validates every value before writing any, so a refused raise leaves no pause behind either.
      if (lowering) await deps.fleet.tighten(change, args.agent_id);
      if (args.pause) {
        await deps.fleet.pause({ reason: args.reason, ...(args.agent_id ? { agentId: args.agent_id } : {}) });
      }
      deps.logger.warn(
        { agentId: args.agent_id, paused: args.pause, lowered: Object.keys(change) },
        "trading restricted by tool",
      );
      const trading = await pauseView(deps);
      const scope = args.agent_id ?? "the fleet";
      const parts = [
        args.pause ? `trading paused for ${scope}: ${args.reason}` : `trading continues for ${scope}`,
        lowering ? `lowered ${Object.keys(change).join(", ")}` : "",
      ].filter(Boolean);
      const effective = await deps.fleet.limits();
      const own = args.agent_id ? await deps.fleet.limitsFor(args.agent_id) : null;
      return {
        structured: {
          trading,
          effective: limitsView(effective),
          agent_limits: own ? limitsView(own) : null,
          spend_limits: spendLimitsView(own ?? effective),
        },
        text: parts.join("; "),
      };
    },
  });
}
