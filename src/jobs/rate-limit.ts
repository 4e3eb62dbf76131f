/**
 * Token buckets in SQLite, so every process sharing the database draws from the same buckets and a fleet never
 * burns calls on 429s. A draw is one IMMEDIATE transaction (a savepoint when the caller already holds one, as
 * the dispatcher's claim does).
 */
import type { Statement } from "better-sqlite3";
import type { Db } from "../db.js";
import { FleetError } from "../errors.js";
import { type Clock, systemClock } from "./clock.js";
import type { RateLimitClaim } from "./types.js";

export interface Bucket {
  capacity: number;
  refillPerMs: number;
}

export type TakeResult = { ok: true } | { ok: false; waitMs: number; key: string };

interface BucketRow {
  tokens: number;
  updated_at: number;
}

export class RateLimiter {
  readonly #db: Db;
  readonly #clock: Clock;
  #read: Statement | undefined;
  #write: Statement | undefined;

  constructor(db: Db, clock: Clock = systemClock) {
    this.#db = db;
    this.#clock = clock;
  }

  take(key: string, bucket: Bucket, cost = 1): TakeResult {
    return this.takeAll([{ key, ...bucket, cost }]);
  }

  /** All the claims or none; when refused, `waitMs` is how long until every bucket could pay. */
  takeAll(claims: readonly RateLimitClaim[]): TakeResult {
    for (const claim of claims) validateClaim(claim);
    const draw = this.#db.transaction((): TakeResult => {
      const now = this.#clock.now();
      this.#read ??= this.#db.prepare("SELECT tokens, updated_at FROM rate_buckets WHERE key = ?");
      const read = this.#read;
      const tokens = new Map<string, number>();
      let refusal: { waitMs: number; key: string } | undefined;
      for (const claim of claims) {
        const available = tokens.get(claim.key) ?? refill(read.get(claim.key) as BucketRow | undefined, claim, now);
        const cost = claim.cost ?? 1;
        tokens.set(claim.key, available - cost);
        if (available < cost) {
          const waitMs = Math.ceil((cost - available) / claim.refillPerMs);
          if (!refusal || waitMs > refusal.waitMs) refusal = { waitMs, key: claim.key };
        }
      }
      if (refusal) return { ok: false, ...refusal };
      this.#write ??= this.#db.prepare(
        "INSERT INTO rate_buckets (key, tokens, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET tokens = excluded.tokens, updated_at = excluded.updated_at",
      );
      for (const [key, left] of tokens) this.#write.run(key, left, now);
      return { ok: true };
    });
    return draw.immediate();
  }
}

function refill(row: BucketRow | undefined, bucket: Bucket, now: number): number {
  if (!row) return bucket.capacity;
  const elapsed = Math.max(0, now - row.updated_at);
  return Math.min(bucket.capacity, row.tokens + elapsed * bucket.refillPerMs);
}

function validateClaim(c: RateLimitClaim): void {
  const cost = c.cost ?? 1;
  let problem: string | undefined;
  if (typeof c.key !== "string" || c.key.length === 0 || c.key.length > 200) problem = "key must be 1–200 characters";
  else if (!(c.capacity > 0) || !Number.isFinite(c.capacity)) problem = `capacity must be > 0, got \`${c.capacity}\``;
  else if (!(c.refillPerMs > 0) || !Number.isFinite(c.refillPerMs))
    problem = `refillPerMs must be > 0, got \`${c.refillPerMs}\``;
  else if (!(cost > 0) || cost > c.capacity) problem = `cost must be > 0 and ≤ capacity ${c.capacity}, got \`${cost}\``;
  if (problem) throw new FleetError("INVALID_INPUT", `rate limit \`${c.key}\`: ${problem}`);
}

// ── The real API's limits (shared/purpleflea-api.md) ─────────────────────────────────────────────────────────

export interface WindowLimit {
  /** calls allowed per window */
  limit: number;
  windowMs: number;
}

const MINUTE = 60_000;

export const PURPLE_FLEA_LIMITS = {
  /** every game: 60/min per agent */
  casinoGamesPerAgent: { limit: 60, windowMs: MINUTE },
  /** every game: 60/min per IP per path; locally every agent shares the one "unknown" IP bucket */
  casinoGamesPerIpPath: { limit: 60, windowMs: MINUTE },
  /** POST /bets/batch: 10 calls/min per agent */
  casinoBatchPerAgent: { limit: 10, windowMs: MINUTE },
  escrowCreate: { limit: 20, windowMs: MINUTE },
  escrowCompleteRelease: { limit: 30, windowMs: MINUTE },
  escrowDispute: { limit: 10, windowMs: MINUTE },
  faucetClaim: { limit: 5, windowMs: MINUTE },
  register: { limit: 10, windowMs: MINUTE },
} as const satisfies Record<string, WindowLimit>;

/**
 * A bucket that can never exceed `limit` calls in any window of `windowMs`, however the server counts (fixed
 * or sliding windows): a window admits at most capacity + refill × window = limit. A plain bucket of capacity
 * `limit` refilling `limit` per window would allow twice that right after a burst.
 */
export function windowSafeBucket({ limit, windowMs }: WindowLimit): Bucket {
  const capacity = Math.max(1, Math.floor(limit / 6));
  return { capacity, refillPerMs: (limit - capacity) / windowMs };
}

/** A casino game call (`path` like `/games/crash`): the agent's game bucket and the shared per-path IP bucket. */
export function casinoGameLimits(agentId: string, path: string): RateLimitClaim[] {
  if (!path.startsWith("/games/")) {
    throw new FleetError("INVALID_INPUT", `casino game path must start with /games/, got \`${path}\``);
  }
  return [
    { key: `casino:agent:${agentId}:games`, ...windowSafeBucket(PURPLE_FLEA_LIMITS.casinoGamesPerAgent) },
    { key: `casino:ip:${path}`, ...windowSafeBucket(PURPLE_FLEA_LIMITS.casinoGamesPerIpPath) },
  ];
}

export function casinoBatchLimits(agentId: string): RateLimitClaim[] {
  return [{ key: `casino:agent:${agentId}:batch`, ...windowSafeBucket(PURPLE_FLEA_LIMITS.casinoBatchPerAgent) }];
}

export function escrowLimits(action: "create" | "complete" | "release" | "dispute"): RateLimitClaim[] {
  const limit =
    action === "create"
      ? PURPLE_FLEA_LIMITS.escrowCreate
      : action === "dispute"
        ? PURPLE_FLEA_LIMITS.escrowDispute
        : PURPLE_FLEA_LIMITS.escrowCompleteRelease;
  return [{ key: `escrow:ip:/escrow/${action}`, ...windowSafeBucket(limit) }];
}

export function faucetClaimLimits(): RateLimitClaim[] {
  return [{ key: "faucet:ip:/faucet/claim", ...windowSafeBucket(PURPLE_FLEA_LIMITS.faucetClaim) }];
}

export function registerLimits(): RateLimitClaim[] {
  return [{ key: "casino:ip:/auth/register", ...windowSafeBucket(PURPLE_FLEA_LIMITS.register) }];
}
