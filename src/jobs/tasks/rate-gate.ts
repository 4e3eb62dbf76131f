import { PURPLE_FLEA_LIMITS } from "../rate-limit.js";
import type { RateLimitClaim } from "../types.js";

/**
 * The casino's limits as bet jobs see them. Bets travel in `bets/batch` calls, which the casino allows 10 per
 * minute per agent and 60 per minute per IP and path; those buckets are drawn once per CALL. A `casino.bet_batch`
 * job is one call, so the dispatcher draws them before claiming it.
 */

/** The buckets of one `POST /bets/batch` call. */
export function batchCallClaims(agentId: string): RateLimitClaim[] {
  return [
    { key: `casino:agent:${agentId}:batch`, ...PURPLE_FLEA_LIMITS.casinoBatchPerAgent },
    { key: "casino:ip:/bets/batch", ...PURPLE_FLEA_LIMITS.casinoGamesPerIpPath, perEgress: true },
  ];
}
