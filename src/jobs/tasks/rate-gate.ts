import { setTimeout as sleep } from "node:timers/promises";
import { PURPLE_FLEA_LIMITS, type RateLimiter } from "../rate-limit.js";
import type { RateLimitClaim } from "../types.js";
import { MAX_BETS_PER_BATCH } from "./bet-sender.js";

/**
 * The casino's limits as bet jobs see them. Bets travel in `bets/batch` calls, which the casino allows 10 per
 * minute per agent and 60 per minute per IP and path; those buckets are drawn once per CALL. A `casino.bet_batch`
 * job is one call, so the dispatcher draws them before claiming it. Single `casino.bet` jobs share calls: the
 * sender draws them just before each call (so a half-full batch costs what it costs), and the dispatcher admits
 * single bets at the rate full batches can carry, so a large backlog waits in SQLite instead of in memory.
 */

const { windowMs } = PURPLE_FLEA_LIMITS.casinoBatchPerAgent;

/** What the dispatcher takes per single-bet job: the bets one agent's batch calls can carry per minute. */
export function betAdmission(agentId: string): RateLimitClaim[] {
  const carried = PURPLE_FLEA_LIMITS.casinoBatchPerAgent.limit * MAX_BETS_PER_BATCH;
  return [{ key: `casino:agent:${agentId}:batch-bets`, limit: carried, windowMs }];
}

/** The buckets of one `POST /bets/batch` call. */
export function batchCallClaims(agentId: string): RateLimitClaim[] {
  return [
    { key: `casino:agent:${agentId}:batch`, ...PURPLE_FLEA_LIMITS.casinoBatchPerAgent },
    { key: "casino:ip:/bets/batch", ...PURPLE_FLEA_LIMITS.casinoGamesPerIpPath },
  ];
}

/** Resolves once `claims` could all be taken (they are then taken): waits, never refuses. */
export async function takeWhenAvailable(limiter: RateLimiter, claims: RateLimitClaim[]): Promise<void> {
  for (;;) {
    const r = limiter.takeAll(claims);
    if (r.ok) return;
    await sleep(Math.max(1, r.waitMs));
  }
}
