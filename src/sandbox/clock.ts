import { FleetError } from "../errors.js";

/** Ten years: far beyond any timeout the services know, small enough to stay a safe integer. */
const MAX_ADVANCE_MS = 10 * 365 * 24 * 3_600_000;

/**
 * The sandbox's notion of "now": real time plus an offset that only ever grows. Everything time-based in the
 * sandbox (rate-limit windows, escrow timeouts, faucet cooldowns, timestamps) reads this clock, so a test can
 * jump a day ahead instead of waiting one.
 */
export class SandboxClock {
  #offsetMs: number;
  readonly #listeners = new Set<(nowMs: number) => void>();

  constructor(startMs?: number) {
    if (startMs !== undefined && !Number.isSafeInteger(startMs)) {
      throw new FleetError("INVALID_INPUT", `now must be an integer number of ms since epoch, got \`${startMs}\``);
    }
    this.#offsetMs = startMs === undefined ? 0 : startMs - Date.now();
  }

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  /** Whole seconds since epoch: the resolution the real services store timestamps at. */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Moves the clock forward and tells every listener (escrow timeouts run there). Returns the new now. */
  advance(ms: number): number {
    if (typeof ms !== "number" || !Number.isInteger(ms) || ms < 0 || ms > MAX_ADVANCE_MS) {
      throw new FleetError(
        "INVALID_INPUT",
        `advance_ms must be an integer from 0 to ${MAX_ADVANCE_MS} (10 years), got \`${String(ms)}\``,
      );
    }
    this.#offsetMs += ms;
    const now = this.now();
    for (const listener of this.#listeners) listener(now);
    return now;
  }

  /** Registers a listener for clock jumps; returns the function that removes it. */
  onAdvance(listener: (nowMs: number) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

/** ISO-8601 of a whole-second timestamp, the way the services render their `created_at` columns. */
export function isoFromSeconds(seconds: number): string {
  return new Date(seconds * 1000).toISOString();
}
