import { isoFromSeconds } from "../clock.js";
import { HttpError } from "../http/http-error.js";
import { json } from "../http/reply.js";
import type { Route } from "../http/router.js";
import { hashApiKey, newCasinoIdentity } from "../ids.js";
import type { SandboxWorld } from "../world.js";
import { requireAgent } from "./auth.js";
import type { CasinoContext } from "./context.js";

/** Limit of the faucet's own per-IP limiter, which the automatic claim at registration also passes through. */
const FAUCET_CLAIMS_PER_MINUTE = 5;

/** `/auth/register`, `/auth/balance`, `/auth/ledger`. */
export function accountRoutes({ world }: CasinoContext): Route[] {
  return [
    {
      method: "POST",
      path: "/auth/register",
      ipLimit: { name: "register-ip", max: 10 },
      async handle(req) {
        const body = await req.jsonOrEmpty();
        const identity = newCasinoIdentity();
        const code = body.referral_code;
        const referrer = typeof code === "string" && code !== "" ? world.agents.byReferralCode(code) : undefined;
        world.agents.insert({
          id: identity.agentId,
          keyHash: hashApiKey(identity.apiKey),
          referralCode: identity.referralCode,
          referredBy: referrer?.id ?? null,
        });
        autoClaimFaucet(world, identity.agentId);
        return json(
          {
            agent_id: identity.agentId,
            api_key: identity.apiKey,
            referral_code: identity.referralCode,
            balance: 0,
            tier: "free",
            risk_factor: 0.25,
            referral_commission: "10% of net losses from referred agents",
            message: "Store your API key securely — it cannot be recovered.",
            next_steps: [
              "GET /api/v1/auth/balance — check your balance",
              "POST /api/v1/auth/deposit-address — get a deposit address",
              "POST /api/v1/games/coin-flip — place your first bet",
              "Share your referral_code — earn 10% of referred agents net losses",
            ],
          },
          201,
        );
      },
    },
    {
      method: "GET",
      path: "/auth/balance",
      handle(req) {
        const agent = requireAgent(world, req);
        return json({
          agent_id: agent.id,
          balance_usd: agent.balance_usd,
          tier: agent.tier,
          risk_factor: agent.risk_factor,
          lifetime: {
            total_deposited: agent.total_deposited,
            total_withdrawn: agent.total_withdrawn,
            total_wagered: agent.total_wagered,
            total_won: agent.total_won,
            net_profit: agent.total_won - agent.total_wagered,
          },
          recent_activity: world.ledger.recent(agent.id, 10).map((e) => ({
            type: e.type,
            amount: e.amount,
            balance_after: e.balanceAfter,
            reason: e.reason,
            service: e.service,
            at: isoFromSeconds(e.createdAt),
          })),
        });
      },
    },
    {
      method: "GET",
      path: "/auth/ledger",
      handle(req) {
        const agent = requireAgent(world, req);
        const entries = world.ledger.recent(agent.id, 50).map((e) => ({ ...e, at: isoFromSeconds(e.createdAt) }));
        return json({ entries });
      },
    },
  ];
}

/**
 * The casino's fire-and-forget `POST /faucet/claim {agent_casino_id}` after registering, made in-process: no
 * X-Forwarded-For, so the IP is "unknown" and only the first registration in any 24 h window gets the $1.
 */
function autoClaimFaucet(world: SandboxWorld, agentId: string): void {
  if (!world.limiter.hit("/faucet/claim:unknown", FAUCET_CLAIMS_PER_MINUTE).allowed) return;
  try {
    world.faucet.claim({ agentId, referralCode: undefined, ip: "unknown" });
  } catch (err) {
    if (!(err instanceof HttpError)) throw err;
    world.log.debug({ agentId, refused: err.code }, "automatic faucet claim refused");
  }
}
