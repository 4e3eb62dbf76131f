import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { recordOpeningBalance } from "../src/jobs/tasks/index.js";
import { agentShape, agentView } from "../src/mcp/agent-view.js";
import { modeField } from "../src/mcp/schemas.js";
import { registerTool } from "../src/mcp/tool.js";
import { formatUsd, microsToUsd } from "../src/money.js";

export const input = {
  label: z
    .string()
    .trim()
    .min(1)
    .max(64, "must be at most 64 characters")
    .optional()
    .describe("a name for people, e.g. `crash-bot-1`"),
  referral_code: z
    .string()
    .regex(/^ref_[0-9a-f]{8}$/, "must be a casino referral code like `ref_1a2b3c4d`")
    .optional()
    .describe("links the new agent to a referrer (the referrer earns a share of its losses)"),
};

export const output = {
  mode: modeField,
  agent: agentShape,
  opening_balance_usd: z.number(),
};

export function register(server: McpServer, deps: FleetDeps): void {
  registerTool(server, {
    name: "register_agent",
    title: "Register a casino agent",
    description: [
      "Creates a Purple Flea casino identity (POST /auth/register) and adds it to the fleet; its API key is",
      "stored locally, never returned. The identity also works for escrow and the faucet (domains have",
      "their own accounts). The casino auto-claims the $1 faucet only for the first registration in any 24",
      "h; otherwise use claim_faucet. Each call creates a new identity (not idempotent). No money moves.",
      "Returns the agent and its opening balance.",
    ].join(" "),
    input,
    output,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    async handler(args, ctx) {
      const reg = await deps.client.casino.register(args.referral_code ? { referralCode: args.referral_code } : {}, {
        signal: ctx.signal,
      });
      const agent = await deps.fleet.addAgent({
        agentId: reg.agentId,
        apiKey: reg.apiKey,
        source: "registered",
        referralCode: reg.referralCode,
        ...(args.label ? { label: args.label } : {}),
      });
      const { balance: openingMicros } = await recordOpeningBalance(deps, agent.agentId, ctx.signal);
      deps.logger.info({ agentId: agent.agentId }, "registered a casino agent");
      return {
        structured: { mode: deps.mode, agent: agentView(agent), opening_balance_usd: microsToUsd(openingMicros) },
        text: `registered ${agent.agentId} (${agent.label}) in ${deps.mode} mode; opening balance $${formatUsd(openingMicros)}`,
      };
    },
  });
}
