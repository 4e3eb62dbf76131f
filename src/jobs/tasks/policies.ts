import type { RetryPolicy } from "../types.js";

/**
 * Retry policies and time limits shared by the tasks (Celery's max_retries / countdown / time_limit). Money
 * tasks only ever retry what was proven not done; the engine reconciles everything else first.
 */

/** Bets: quick, cheap, many; a refused bet is permanent anyway, and only proven-unsent ones come back. */
export const BET_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 1_000, maxDelayMs: 30_000, jitter: 0.5 };

/** Escrow and other single money calls: fewer attempts, longer pauses (the seed page's escrow tasks). */
export const MONEY_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 2_000, maxDelayMs: 120_000, jitter: 0.3 };

/** Reads and reports: retried freely, they move nothing. */
export const READ_RETRY: RetryPolicy = { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0.3 };

/** One call plus its timeout and a rate-limit wait for a batch slot. */
export const BET_TIME_LIMIT_MS = 120_000;
/** One money call (the client's 15 s deadline) with room for a ledger lookup. */
export const MONEY_TIME_LIMIT_MS = 60_000;
/** Tasks that walk every agent. */
export const FLEET_SWEEP_TIME_LIMIT_MS = 5 * 60_000;
