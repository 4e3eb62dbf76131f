/** The window arithmetic of a sliding-window log, shared by every storage backend. */
import { FleetError } from "../errors.js";
import type { RateLimitClaim } from "./types.js";

/** 0 when the claim fits now; otherwise how long until enough of the oldest calls leave the window. */
export function waitFor(
  calls: ReadonlyArray<{ at: number; cost: number }>,
  claim: RateLimitClaim,
  now: number,
): number {
  const cost = claim.cost ?? 1;
  let used = calls.reduce((sum, c) => sum + c.cost, 0);
  if (used + cost <= claim.limit) return 0;
  for (const call of calls) {
    used -= call.cost;
    if (used + cost <= claim.limit) return Math.max(1, call.at + claim.windowMs - now);
  }
  return claim.windowMs;
}

/**
 * A job refused only because an older job waits ahead of it under the same key (the window itself has room)
 * looks again after this long: the older one is due and about to be claimed, here or in another process.
 */
export const BEHIND_OLDER_MS = 50;

/**
 * How long a job must wait under one key: for the window, and for `ahead` (the oldest older job still waiting
 * under the key, with its due time) — at least until that job is due, and never ahead of it.
 */
export function waitInLine(windowWaitMs: number, ahead: { dueAt: number } | undefined, now: number): number {
  if (!ahead) return windowWaitMs;
  return Math.max(windowWaitMs, ahead.dueAt - now, BEHIND_OLDER_MS);
}

/** Two claims on one key in a single draw count together (a call can appear under a key only once per draw). */
export function mergeByKey(claims: readonly RateLimitClaim[]): RateLimitClaim[] {
  const byKey = new Map<string, RateLimitClaim>();
  for (const c of claims) {
    const seen = byKey.get(c.key);
    byKey.set(c.key, seen ? { ...seen, cost: (seen.cost ?? 1) + (c.cost ?? 1) } : c);
  }
  return [...byKey.values()];
}

export function validateClaim(c: RateLimitClaim): void {
  const cost = c.cost ?? 1;
  let problem: string | undefined;
  if (typeof c.key !== "string" || c.key.length === 0 || c.key.length > 200) problem = "key must be 1–200 characters";
  else if (!Number.isInteger(c.limit) || c.limit < 1) problem = `limit must be a whole number ≥ 1, got \`${c.limit}\``;
  else if (!Number.isFinite(c.windowMs) || c.windowMs <= 0) problem = `windowMs must be > 0, got \`${c.windowMs}\``;
  else if (!Number.isInteger(cost) || cost < 1 || cost > c.limit) {
    problem = `cost must be a whole number from 1 to the limit ${c.limit}, got \`${cost}\``;
  }
  if (problem) throw new FleetError("INVALID_INPUT", `rate limit \`${c.key}\`: ${problem}`);
}
