/**
 * Rate limits as sliding-window logs, shared by every process on the database: a draw is admitted only if the
 * calls under each of its keys in the last `windowMs`, plus this one, stay within `limit`. All claims or none.
 */
import type { RateLimitClaim } from "../jobs/types.js";

export type TakeResult = { ok: true } | { ok: false; waitMs: number; key: string };

export interface RateLimitRepo {
  /**
   * draws every claim at `now`, or none; when refused, `waitMs` is how long until all could be admitted. `jobId`
   * names the job the calls are for, so that `restamp` can find them.
   */
  takeAll(claims: readonly RateLimitClaim[], now: number, jobId?: string): Promise<TakeResult>;
  /**
   * The calls drawn for `jobId` leave now, at `at`, later than they were drawn (the job waited after its claim):
   * they count from `at`, because the server counts a call when it arrives.
   */
  restamp(jobId: string, at: number): Promise<void>;
}
