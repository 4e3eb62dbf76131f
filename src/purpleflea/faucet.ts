import { z } from "zod";
import type { HttpTransport } from "./http.js";
import { requireAgentId, requireText } from "./input.js";
import type { FaucetClient } from "./types.js";
import { usd, usdNumberOrText } from "./wire.js";

/**
 * The faucet (purpleflea-api.md §4): $1 once per casino agent, ever, and one claim per IP per 24 h. No
 * auth. A second IP claim within the day fails as RATE_LIMITED with `details.worthWaiting: false`.
 */

const claimSchema = z.object({ credited: usd, claim_id: z.string().min(1), agent_id: z.string().min(1) });

const statsSchema = z.object({
  total_claims: z.number().int().nonnegative(),
  total_agents: z.number().int().nonnegative(),
  total_value_usd: usdNumberOrText,
});

export function createFaucetClient(http: HttpTransport): FaucetClient {
  return {
    async claim(agentId, req = {}, opts) {
      requireAgentId("agentId", agentId);
      if (req.referralCode !== undefined) requireText("referralCode", req.referralCode, 100);
      const wire = await http.json(
        {
          service: "faucet",
          method: "POST",
          path: "/faucet/claim",
          body: { agent_casino_id: agentId, referral_code: req.referralCode },
          effect: "money",
        },
        claimSchema,
        opts,
      );
      return { credited: wire.credited, claimId: wire.claim_id, agentId: wire.agent_id };
    },

    async stats(opts) {
      const wire = await http.json(
        { service: "faucet", method: "GET", path: "/faucet/stats", effect: "none" },
        statsSchema,
        opts,
      );
      return { totalClaims: wire.total_claims, totalAgents: wire.total_agents, totalValue: wire.total_value_usd };
    },
  };
}
