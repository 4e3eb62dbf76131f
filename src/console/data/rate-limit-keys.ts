/**
 * What a rate-limit key stands for: its scope (one agent's bucket, one egress's per-IP bucket, or the fleet's) and
 * the limit it is drawn under. The keys are built by src/jobs/rate-limit.ts; this reads them back by building the
 * same claims and comparing, so a renamed key shows up here as unknown rather than with a wrong limit.
 */
import {
  casinoBatchLimits,
  casinoGameLimits,
  escrowLimits,
  faucetClaimLimits,
  PURPLE_FLEA_LIMITS,
  registerLimits,
} from "../../jobs/rate-limit.js";
import { batchCallClaims } from "../../jobs/tasks/rate-gate.js";
import type { RateLimitClaim } from "../../jobs/types.js";

export interface KeyMeaning {
  scope: "agent" | "egress" | "fleet";
  agentId: string | null;
  egress: string | null;
  /** null for a key this version does not draw */
  limit: number | null;
  windowMs: number | null;
}

/** an agent id for building the shared (per-IP) claims, whose keys name no agent */
const ANY_AGENT = "ag_000000";
const EGRESS = /^(.*)@egress:(.+)$/;
const AGENT = /^casino:agent:([^:]+):/;

export function keyMeaning(key: string): KeyMeaning {
  const local = EGRESS.exec(key);
  const base = local ? (local[1] as string) : key;
  const agentId = AGENT.exec(base)?.[1] ?? null;
  const claim = knownClaims(base, agentId).find((c) => c.key === base);
  return {
    scope: local ? "egress" : agentId ? "agent" : "fleet",
    agentId,
    egress: local ? (local[2] as string) : null,
    limit: claim?.limit ?? null,
    windowMs: claim?.windowMs ?? null,
  };
}

function knownClaims(base: string, agentId: string | null): RateLimitClaim[] {
  if (agentId) {
    return [...batchCallClaims(agentId), ...casinoBatchLimits(agentId), ...casinoGameLimits(agentId, "/games/any")];
  }
  const gamePath = /^casino:ip:(\/games\/.+)$/.exec(base)?.[1];
  return [
    ...batchCallClaims(ANY_AGENT),
    ...(gamePath ? casinoGameLimits(ANY_AGENT, gamePath) : []),
    ...(["create", "complete", "release", "dispute"] as const).flatMap((a) => escrowLimits(a)),
    ...faucetClaimLimits(),
    ...registerLimits(),
  ];
}

/**
 * the longest window any key is drawn under: what the usage read looks back over (every Purple Flea limit has the
 * same minute today; a shorter one would be over-counted here, never under-counted)
 */
export const LONGEST_WINDOW_MS = Math.max(...Object.values(PURPLE_FLEA_LIMITS).map((l) => l.windowMs));
