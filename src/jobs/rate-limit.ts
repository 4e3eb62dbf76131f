/**
 * Rate limits in SQLite, as sliding-window logs: every call is a row (key, time, cost), and a draw is admitted
 * only if the calls under its key in the last `windowMs` plus this one stay within `limit`. Every process sharing
 * the database draws on the same rows, so a fleet never burns calls on 429s. Unlike a token bucket, a log allows
 * the full burst the server allows (10 batch calls at once, say) and still never puts more than `limit` calls in
 * any window — whether the server counts fixed windows from the first call, as Purple Flea does, or sliding ones.
 * A draw is one IMMEDIATE transaction (a savepoint when the caller already holds one, as the dispatcher's claim
 * does).
 */
import type { Statement } from "better-sqlite3";
import { type Db, migrate } from "../db.js";
import { FleetError } from "../errors.js";
import { type Clock, systemClock } from "./clock.js";
import type { RateLimitClaim } from "./types.js";

export interface WindowLimit {
  /** calls allowed per window */
  limit: number;
  windowMs: number;
}

export type TakeResult = { ok: true } | { ok: false; waitMs: number; key: string };

const MIGRATIONS = [
  `CREATE TABLE rate_calls (
     key TEXT NOT NULL,
     at INTEGER NOT NULL,
     cost INTEGER NOT NULL
   );
   CREATE INDEX rate_calls_key_at ON rate_calls (key, at);`,
];

export class RateLimiter {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #prune: Statement;
  readonly #window: Statement;
  readonly #record: Statement;

  constructor(db: Db, clock: Clock = systemClock) {
    this.#db = db;
    this.#clock = clock;
    migrate(db, "rate_limits", MIGRATIONS);
    this.#prune = db.prepare("DELETE FROM rate_calls WHERE key = ? AND at <= ?");
    this.#window = db.prepare("SELECT at, cost FROM rate_calls WHERE key = ? ORDER BY at");
    this.#record = db.prepare("INSERT INTO rate_calls (key, at, cost) VALUES (?, ?, ?)");
  }

  take(key: string, limit: WindowLimit, cost = 1): TakeResult {
    return this.takeAll([{ key, ...limit, cost }]);
  }

  /** All the claims or none; when refused, `waitMs` is how long until every limit could admit its claim. */
  takeAll(claims: readonly RateLimitClaim[]): TakeResult {
    for (const claim of claims) validateClaim(claim);
    const draw = this.#db.transaction((): TakeResult => {
      const now = this.#clock.now();
      let refusal: { waitMs: number; key: string } | undefined;
      for (const claim of mergeByKey(claims)) {
        this.#prune.run(claim.key, now - claim.windowMs);
        const calls = this.#window.all(claim.key) as Array<{ at: number; cost: number }>;
        const waitMs = waitFor(calls, claim, now);
        if (waitMs > 0 && (!refusal || waitMs > refusal.waitMs)) refusal = { waitMs, key: claim.key };
      }
      if (refusal) return { ok: false, ...refusal };
      for (const claim of claims) this.#record.run(claim.key, now, claim.cost ?? 1);
      return { ok: true };
    });
    return draw.immediate();
  }
}

/** 0 when the claim fits now; otherwise how long until enough of the oldest calls leave the window. */
function waitFor(calls: ReadonlyArray<{ at: number; cost: number }>, claim: RateLimitClaim, now: number): number {
  const cost = claim.cost ?? 1;
  let used = calls.reduce((sum, c) => sum + c.cost, 0);
  if (used + cost <= claim.limit) return 0;
  for (const call of calls) {
    used -= call.cost;
    if (used + cost <= claim.limit) return Math.max(1, call.at + claim.windowMs - now);
  }
  return claim.windowMs;
}

/** Two claims on one key in a single draw count together (a call can appear under a key only once per draw). */
function mergeByKey(claims: readonly RateLimitClaim[]): RateLimitClaim[] {
  const byKey = new Map<string, RateLimitClaim>();
  for (const c of claims) {
    const seen = byKey.get(c.key);
    byKey.set(c.key, seen ? { ...seen, cost: (seen.cost ?? 1) + (c.cost ?? 1) } : c);
  }
  return [...byKey.values()];
}

function validateClaim(c: RateLimitClaim): void {
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

// ── The real API's limits (shared/purpleflea-api.md) ─────────────────────────────────────────────────────────

/**
 * The server counts a call when it arrives, pf-fleet when it leaves; a second's margin on every window keeps a
 * call that travelled slower than the one before it from landing in a window that is already full.
 */
const MINUTE = 60_000 + 1_000;

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

/** A casino game call (`path` like `/games/crash`): the agent's game bucket and the shared per-path IP bucket. */
export function casinoGameLimits(agentId: string, path: string): RateLimitClaim[] {
  if (!path.startsWith("/games/")) {
    throw new FleetError("INVALID_INPUT", `casino game path must start with /games/, got \`${path}\``);
  }
  return [
    { key: `casino:agent:${agentId}:games`, ...PURPLE_FLEA_LIMITS.casinoGamesPerAgent },
    { key: `casino:ip:${path}`, ...PURPLE_FLEA_LIMITS.casinoGamesPerIpPath },
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
  return [{ key: `escrow:ip:/escrow/${action}`, ...limit }];
}

export function faucetClaimLimits(): RateLimitClaim[] {
  return [{ key: "faucet:ip:/faucet/claim", ...PURPLE_FLEA_LIMITS.faucetClaim }];
}

export function registerLimits(): RateLimitClaim[] {
  return [{ key: "casino:ip:/auth/register", ...PURPLE_FLEA_LIMITS.register }];
}
