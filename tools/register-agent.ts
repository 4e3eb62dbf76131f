import { setTimeout as sleep } from "node:timers/promises";
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import { FleetError } from "../src/errors.js";
import { Egress } from "../src/jobs/egress.js";
import { PURPLE_FLEA_LIMITS, RateLimiter, registerLimits } from "../src/jobs/rate-limit.js";
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
      await takeRegistrationSlot(deps, ctx.signal);
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

/** how long a registration waits for the local limiter before it is refused instead */
const MAX_LIMITER_WAIT_MS = 5_000;

/**
 * POST /auth/register is limited to 10 a minute per IP. Registration runs in the tool call, not as a job, so it
 * draws from the same shared rate-limit log the dispatcher uses (this egress's register bucket): a burst waits a
 * moment or is refused here with RATE_LIMITED, instead of being answered 429 by the server.
 */
async function takeRegistrationSlot(deps: FleetDeps, signal: AbortSignal): Promise<void> {
  const limiter = new RateLimiter(deps.storage);
  const claims = new Egress(deps.config.egressId).localize(registerLimits());
  const deadline = Date.now() + MAX_LIMITER_WAIT_MS;
  for (;;) {
    const draw = await limiter.takeAll(claims);
    if (draw.ok) return;
    // busy: another process's draw on this key is in flight (PostgreSQL); look again in a moment
    const waitMs = draw.busy ? 50 : draw.waitMs;
    if (Date.now() + waitMs > deadline) {
      throw new FleetError(
        "RATE_LIMITED",
        `the casino allows ${PURPLE_FLEA_LIMITS.register.limit} registrations a minute per IP; this one was not sent`,
        { retryAfterMs: waitMs, hint: `wait ${Math.ceil(waitMs / 1000)} s and call register_agent again` },
      );
    }
    await sleep(waitMs, undefined, { signal });
  }
}
