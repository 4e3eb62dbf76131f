/**
 * Rate limits as sliding-window logs, shared by every process on the database: a draw is admitted only if the
 * calls under each of its keys in the last `windowMs`, plus this one, stay within `limit`. All claims or none.
 */
import type { RateLimitClaim } from "../jobs/types.js";

export type TakeResult = { ok: true } | { ok: false; waitMs: number; key: string };

export interface RateLimitRepo {
  /** draws every claim at `now`, or none; when refused, `waitMs` is how long until all could be admitted */
  takeAll(claims: readonly RateLimitClaim[], now: number): Promise<TakeResult>;
}
