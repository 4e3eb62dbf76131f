import type { RetryPolicy } from "./types.js";

/**
 * Delay before retry number `attempt` (1 = the first retry): `baseDelayMs × 2^(attempt−1)`, capped at
 * `maxDelayMs`, then shortened by up to `jitter` of itself so that a fleet of failed jobs does not come back in
 * one burst. The result lies in [delay × (1 − jitter), delay].
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  return Math.round(delay - delay * policy.jitter * random());
}
