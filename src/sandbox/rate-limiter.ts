import type { SandboxClock } from "./clock.js";

export interface LimitResult {
  allowed: boolean;
  /** end of the current window, sandbox ms */
  resetAt: number;
}

interface Window {
  count: number;
  resetAt: number;
}

/** Expired windows are swept once the map grows past this, so long runs stay bounded. */
const SWEEP_THRESHOLD = 1000;

/**
 * The services' in-memory limiter: a fixed window that opens at the first request of a key and lasts
 * `windowMs`; every request counts, and requests past `max` inside the window are refused. Windows run on the
 * sandbox clock, so advancing it ends them. Switched off, it allows everything and counts nothing.
 */
export class FixedWindowLimiter {
  enabled = true;
  readonly #windows = new Map<string, Window>();

  constructor(
    private readonly clock: SandboxClock,
    private readonly windowMs = 60_000,
  ) {}

  hit(key: string, max: number): LimitResult {
    const now = this.clock.now();
    if (!this.enabled) return { allowed: true, resetAt: now + this.windowMs };
    if (this.#windows.size > SWEEP_THRESHOLD) this.#sweep(now);
    let window = this.#windows.get(key);
    if (!window || now >= window.resetAt) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.#windows.set(key, window);
    }
    window.count++;
    return { allowed: window.count <= max, resetAt: window.resetAt };
  }

  #sweep(now: number): void {
    for (const [key, window] of this.#windows) if (now >= window.resetAt) this.#windows.delete(key);
  }
}
