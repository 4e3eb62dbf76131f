/**
 * Throttles credential guessing: after `maxFailures` refused credentials from one client address within
 * `windowMs`, that address is answered 429 (with Retry-After) until the window ends, without its credential
 * being checked. Other addresses are unaffected, so a right token from anywhere else still works.
 *
 * The key is the TCP peer address, never X-Forwarded-For (which a client can forge). Behind a reverse proxy
 * every client shares the proxy's address, so there a guesser locks out everyone for the window: the proxy
 * should throttle too.
 */

export interface AuthThrottleOptions {
  /** refused credentials allowed per address per window */
  maxFailures: number;
  windowMs: number;
}

/** 10 wrong tokens a minute: plenty for a person mistyping, hopeless for guessing a long random secret. */
export const DEFAULT_AUTH_THROTTLE: AuthThrottleOptions = { maxFailures: 10, windowMs: 60_000 };

/** addresses remembered at once; past this the oldest window is forgotten, so memory stays bounded */
const MAX_TRACKED = 10_000;

export interface AuthThrottle {
  /** seconds until `address` may try again; 0 when it may try now */
  retryAfterSeconds(address: string): number;
  /** counts one refused credential from `address` */
  recordFailure(address: string): void;
}

export function createAuthThrottle(
  opts: AuthThrottleOptions = DEFAULT_AUTH_THROTTLE,
  now: () => number = Date.now,
): AuthThrottle {
  // Insertion order is window-start order, so the first entries are the oldest.
  const windows = new Map<string, { start: number; failures: number }>();

  function current(address: string): { start: number; failures: number } | undefined {
    const w = windows.get(address);
    if (w && now() - w.start >= opts.windowMs) {
      windows.delete(address);
      return undefined;
    }
    return w;
  }

  return {
    retryAfterSeconds(address) {
      const w = current(address);
      if (!w || w.failures < opts.maxFailures) return 0;
      return Math.max(1, Math.ceil((w.start + opts.windowMs - now()) / 1000));
    },
    recordFailure(address) {
      const w = current(address);
      if (w) {
        w.failures++;
        return;
      }
      windows.set(address, { start: now(), failures: 1 });
      if (windows.size > MAX_TRACKED) {
        const oldest = windows.keys().next().value;
        if (oldest !== undefined) windows.delete(oldest);
      }
    },
  };
}
