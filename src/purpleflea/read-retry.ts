import { setTimeout as sleep } from "node:timers/promises";
import { toFleetError } from "../errors.js";

/**
 * Idempotent reads (GET balance, GET escrow, …) that decide what to send next are asked again when they fail
 * transiently: a 5xx, a reset connection, a timeout or an unreadable body of a read. Nothing was sent that moves
 * money, and a GET is safe to repeat, so such a failure must not end the operation. Refusals (4xx), rate limits
 * and the caller's cancellation are passed on at once.
 */

export interface ReadRetryOptions {
  /** the caller's signal: a cancelled or timed-out call stops retrying (and sleeping) at once */
  signal?: AbortSignal | undefined;
  /** tries in all, the first included; default 4 */
  attempts?: number;
  /** the first wait; each next one doubles, with ±25 % jitter; default 150 ms */
  baseDelayMs?: number;
  /** no retry starts after this much time since the first try (the call's wait budget); default 10 s */
  budgetMs?: number;
  /** told before each wait, e.g. for a debug log line */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  random?: () => number;
  now?: () => number;
}

export const READ_RETRY_DEFAULTS = { attempts: 4, baseDelayMs: 150, budgetMs: 10_000 } as const;

/** A failure of a read that asking again may cure: the request had no effect and the service may recover. */
export function isTransientReadFailure(err: unknown): boolean {
  const e = toFleetError(err);
  if (e.kind !== "retryable") return false;
  return e.code === "UPSTREAM_UNAVAILABLE" || e.code === "TIMEOUT";
}

/** Runs `read`, and runs it again after a short backoff while it fails transiently and the budget allows. */
export async function readWithRetry<T>(read: () => Promise<T>, opts: ReadRetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? READ_RETRY_DEFAULTS.attempts;
  const base = opts.baseDelayMs ?? READ_RETRY_DEFAULTS.baseDelayMs;
  const budget = opts.budgetMs ?? READ_RETRY_DEFAULTS.budgetMs;
  const random = opts.random ?? Math.random;
  const now = opts.now ?? Date.now;
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (attempt >= attempts || !isTransientReadFailure(err) || opts.signal?.aborted) throw err;
      const delayMs = Math.round(base * 2 ** (attempt - 1) * (0.75 + random() * 0.5));
      if (now() - started + delayMs > budget) throw err;
      opts.onRetry?.(err, attempt, delayMs);
      try {
        await sleep(delayMs, undefined, opts.signal ? { signal: opts.signal } : {});
      } catch {
        throw err; // cancelled while waiting: the read's own failure says more than the abort
      }
    }
  }
}
