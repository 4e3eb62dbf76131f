/**
 * Rate limits as sliding-window logs, shared by every process on the database: a draw is admitted only if the
 * calls under each of its keys in the last `windowMs`, plus this one, stay within `limit`. All claims or none.
 *
 * A job's draws wait in line per key: a job refused under a key is remembered there as a waiter until it is
 * admitted, and while it is still waiting (queued or retrying, in its run phase) no younger job (by id: ids
 * sort by creation) is admitted under that key. So a job put off until its window reopens is never overtaken
 * by a younger one that is due a little earlier or asks for less. Anonymous draws (no job id) do not queue.
 */
import type { RateLimitClaim } from "../jobs/types.js";

export type TakeResult =
  | { ok: true }
  | {
      ok: false;
      waitMs: number;
      key: string;
      /** the older job this one waits behind under `key`, when the line (not only the window) refused it */
      behind?: string;
      /**
       * the key is held by another process's claim still in flight (PostgreSQL): nothing was read or written,
       * the job is neither refused nor put in line; look again in a moment
       */
      busy?: boolean;
    };

/** One rate-limit key as it stands: calls in the window and jobs waiting in line under it. */
export interface RateKeyUsage {
  key: string;
  /** Σ cost of the calls drawn after `since` */
  used: number;
  /** the oldest of those calls: the window frees a slot when it leaves; null when none */
  oldestAt: number | null;
  /** jobs in line under the key (refused by it, still queued or retrying to run) */
  waiting: number;
}

export interface RateLimitRepo {
  /**
   * draws every claim at `now`, or none; when refused, `waitMs` is how long until all could be admitted. `jobId`
   * names the job the calls are for, so that `restamp` can find them, and puts the draw in line: refused, the
   * job waits under each key that refused it; admitted, it leaves every line.
   */
  takeAll(claims: readonly RateLimitClaim[], now: number, jobId?: string): Promise<TakeResult>;
  /**
   * The calls drawn for `jobId` leave now, at `at`, later than they were drawn (the job waited after its claim):
   * they count from `at`, because the server counts a call when it arrives.
   */
  restamp(jobId: string, at: number): Promise<void>;
  /** every key with calls after `since` or jobs in line, by key (a read: the console's rate-limit view) */
  usage(since: number): Promise<RateKeyUsage[]>;
}
