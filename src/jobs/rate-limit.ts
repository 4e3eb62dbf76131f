/**
 * Rate limits as sliding-window logs in the shared storage: every call is a row (key, time, cost), and a draw is
 * admitted only if the calls under its key in the last `windowMs` plus this one stay within `limit`. Every process
 * sharing the database draws on the same rows, so a fleet never burns calls on 429s. Unlike a token bucket, a log
 * allows the full burst the server allows (10 batch calls at once, say) and still never puts more than `limit`
 * calls in any window — whether the server counts fixed windows from the first call, as Purple Flea does, or
 * sliding ones. The draw itself is one atomic storage operation (`rateLimits.takeAll`); the window arithmetic
 * every backend shares is in rate-window.ts.
 */
import { FleetError } from "../errors.js";
import type { RateLimitRepo, TakeResult } from "../storage/rate-limits.js";
import { type Clock, systemClock } from "./clock.js";
import { validateClaim } from "./rate-window.js";
import type { RateLimitClaim } from "./types.js";

export type { TakeResult };

export interface WindowLimit {
  /** calls allowed per window */
  limit: number;
  windowMs: number;
}

export class RateLimiter {
  readonly #repo: RateLimitRepo;
  readonly #clock: Clock;

  constructor(storage: { rateLimits: RateLimitRepo }, clock: Clock = systemClock) {
    this.#repo = storage.rateLimits;
    this.#clock = clock;
  }

  take(key: string, limit: WindowLimit, cost = 1): Promise<TakeResult> {
    return this.takeAll([{ key, ...limit, cost }]);
  }

  /** All the claims or none; when refused, `waitMs` is how long until every limit could admit its claim. */
  takeAll(claims: readonly RateLimitClaim[]): Promise<TakeResult> {
    return drawLimits(this.#repo, claims, this.#clock.now());
  }
}

/** One draw through `repo` (the storage's, or a transaction's: the dispatcher draws inside its claim). */
export async function drawLimits(
  repo: RateLimitRepo,
  claims: readonly RateLimitClaim[],
  now: number,
): Promise<TakeResult> {
  for (const claim of claims) validateClaim(claim);
  return repo.takeAll(claims, now);
}

// ── The real API's limits (shared/purpleflea-api.md) ─────────────────────────────────────────────────────────

/**
 * The server counts a call when it arrives, pf-fleet when it leaves; a second's margin on every window keeps a
 * call that travelled slower than the one before it from landing in a window that is already full.
 */
const MINUTE = 60_000 + 1_000;

export const PURPLE_FLEA_LIMITS = {
  /** every game: 60/min per agent */
  casinoGamesPerAgent: { limit: 60, windowMs: MINUTE },
  /** every game: 60/min per IP per path, drawn per egress (src/jobs/egress.ts) */
  casinoGamesPerIpPath: { limit: 60, windowMs: MINUTE },
  /** POST /bets/batch: 10 calls/min per agent */
  casinoBatchPerAgent: { limit: 10, windowMs: MINUTE },
  escrowCreate: { limit: 20, windowMs: MINUTE },
  escrowCompleteRelease: { limit: 30, windowMs: MINUTE },
  escrowDispute: { limit: 10, windowMs: MINUTE },
  faucetClaim: { limit: 5, windowMs: MINUTE },
  register: { limit: 10, windowMs: MINUTE },
} as const satisfies Record<string, WindowLimit>;

/** A casino game call (`path` like `/games/crash`): the agent's game bucket and the shared per-path IP bucket. */
export function casinoGameLimits(agentId: string, path: string): RateLimitClaim[] {
  if (!path.startsWith("/games/")) {
    throw new FleetError("INVALID_INPUT", `casino game path must start with /games/, got \`${path}\``);
  }
  return [
    { key: `casino:agent:${agentId}:games`, ...PURPLE_FLEA_LIMITS.casinoGamesPerAgent },
    { key: `casino:ip:${path}`, ...PURPLE_FLEA_LIMITS.casinoGamesPerIpPath, perEgress: true },
  ];
}

export function casinoBatchLimits(agentId: string): RateLimitClaim[] {
  return [{ key: `casino:agent:${agentId}:batch`, ...PURPLE_FLEA_LIMITS.casinoBatchPerAgent }];
}

export function escrowLimits(action: "create" | "complete" | "release" | "dispute"): RateLimitClaim[] {
  const limit =
    action === "create"
      ? PURPLE_FLEA_LIMITS.escrowCreate
      : action === "dispute"
        ? PURPLE_FLEA_LIMITS.escrowDispute
        : PURPLE_FLEA_LIMITS.escrowCompleteRelease;
  return [{ key: `escrow:ip:/escrow/${action}`, ...limit, perEgress: true }];
}

export function faucetClaimLimits(): RateLimitClaim[] {
  return [{ key: "faucet:ip:/faucet/claim", ...PURPLE_FLEA_LIMITS.faucetClaim, perEgress: true }];
}

export function registerLimits(): RateLimitClaim[] {
  return [{ key: "casino:ip:/auth/register", ...PURPLE_FLEA_LIMITS.register, perEgress: true }];
}
