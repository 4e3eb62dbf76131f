import type { Db } from "../../storage/sqlite/connection.js";
import type { AgentStore } from "../casino/agents.js";
import type { SandboxClock } from "../clock.js";
import { HttpError } from "../http/http-error.js";
import { newUuid } from "../ids.js";
import type { Ledger } from "../ledger.js";
import type { StatsCollector } from "../stats.js";

const FAUCET_AMOUNT_USD = 1.0;
const IP_COOLDOWN_MS = 24 * 3_600_000;

export interface ClaimRequest {
  agentId: unknown;
  referralCode: unknown;
  ip: string;
}

/**
 * The faucet's rules (purpleflea-api.md §4): $1, once per agent ever, once per IP per 24 h, only for agents
 * with no completed deposit; checks in the real order. Shared by `POST /faucet/claim` and the casino's
 * automatic claim at registration.
 */
export class Faucet {
  readonly #hasClaimed;
  readonly #ipLastClaim;
  readonly #insertClaim;
  readonly #touchIp;
  readonly #stats;

  constructor(
    private readonly db: Db,
    private readonly clock: SandboxClock,
    private readonly agents: AgentStore,
    private readonly ledger: Ledger,
    private readonly counters: StatsCollector,
  ) {
    this.#hasClaimed = db.prepare<[string], number>("SELECT 1 FROM sb_faucet_claims WHERE agent_id = ?").pluck();
    this.#ipLastClaim = db
      .prepare<[string], number>("SELECT last_claim FROM sb_faucet_ip_cooldowns WHERE ip = ?")
      .pluck();
    this.#insertClaim = db.prepare(
      `INSERT INTO sb_faucet_claims (id, agent_id, ip, referral_code, referrer_id, amount_usd, credited_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#touchIp = db.prepare(
      `INSERT INTO sb_faucet_ip_cooldowns (ip, last_claim) VALUES (?, ?)
       ON CONFLICT(ip) DO UPDATE SET last_claim = excluded.last_claim`,
    );
    this.#stats = db.prepare<[], { total_claims: number; total_agents: number; total_value_usd: number }>(
      `SELECT COUNT(*) AS total_claims, COUNT(DISTINCT agent_id) AS total_agents,
              COALESCE(SUM(amount_usd), 0) AS total_value_usd
       FROM sb_faucet_claims`,
    );
  }

  claim(req: ClaimRequest): Record<string, unknown> {
    const agentId = typeof req.agentId === "string" ? req.agentId.trim() : "";
    if (!agentId.startsWith("ag_")) {
      throw new HttpError(400, "invalid_request", "agent_casino_id is required (ag_xxx format)");
    }
    const lastClaim = this.#ipLastClaim.get(req.ip);
    const sinceLast = lastClaim === undefined ? Number.POSITIVE_INFINITY : this.clock.now() - lastClaim * 1000;
    if (sinceLast < IP_COOLDOWN_MS) {
      this.counters.rateLimited("faucet-ip-24h");
      const hours = Math.ceil((IP_COOLDOWN_MS - sinceLast) / 3_600_000);
      throw new HttpError(429, "ip_rate_limited", `Already claimed from this IP today. Try again in ~${hours}h.`);
    }
    const agent = this.agents.byId(agentId);
    if (!agent) {
      throw new HttpError(
        404,
        "agent_not_found",
        `Agent ${agentId} not found in casino. Register at POST /api/v1/auth/register`,
      );
    }
    if (this.#hasClaimed.get(agentId) !== undefined) {
      throw new HttpError(409, "already_claimed", "This agent has already claimed the faucet bonus.");
    }
    if (this.agents.completedDeposits(agentId) > 0) {
      throw new HttpError(
        403,
        "has_deposits",
        "Faucet is for new agents with no deposits. Deposit real funds to keep playing.",
      );
    }
    const referralCode = typeof req.referralCode === "string" && req.referralCode !== "" ? req.referralCode : null;
    let referrerId: string | null = null;
    if (referralCode !== null) {
      const referrer = this.agents.byReferralCode(referralCode);
      if (referrer && referrer.id !== agentId) referrerId = referrer.id;
    } else {
      referrerId = agent.referred_by;
    }
    const claimId = newUuid();
    this.db.transaction(() => {
      this.ledger.credit(agentId, FAUCET_AMOUNT_USD, {
        id: `${claimId}_ledger`,
        reason: "faucet_claim: $1 free credits",
        reference: claimId,
        service: "faucet",
      });
      const now = this.clock.nowSeconds();
      this.#insertClaim.run(claimId, agentId, req.ip, referralCode, referrerId, FAUCET_AMOUNT_USD, now);
      this.#touchIp.run(req.ip, now);
    })();
    return {
      credited: FAUCET_AMOUNT_USD,
      message: "Free $1 credited. Use it to try the casino!",
      casino_url: "https://casino.purpleflea.com",
      claim_id: claimId,
      agent_id: agentId,
      referral_tracked: referrerId !== null,
    };
  }

  stats(): Record<string, unknown> {
    const row = this.#stats.get() as { total_claims: number; total_agents: number; total_value_usd: number };
    return {
      total_claims: row.total_claims,
      total_agents: row.total_agents,
      total_value_usd: Number(row.total_value_usd.toFixed(2)),
      avg_per_agent: row.total_agents > 0 ? Number((row.total_value_usd / row.total_agents).toFixed(2)) : 0,
    };
  }
}
