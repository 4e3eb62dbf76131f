import type { ServiceUrls } from "../src/config.js";
import { MAX_BETS_PER_BATCH } from "../src/jobs/tasks/args.js";

/**
 * One measured run, in its own process so its peak RSS is its own:
 * - plain-single: a bare undici loop, one bet per `POST /games/coin-flip`, `concurrency` requests in flight;
 * - plain-batch: a bare undici loop sending `POST /bets/batch` of 20, as many calls as keep `concurrency` bets
 *   in flight;
 * - engine: the same bets as durable jobs (one chord of casino.bet_batch jobs of 20, SQLite, every commit synced,
 *   receipts in the ledger in the job's own transaction), as many jobs in flight as the plain batch loop's calls.
 */
export type PhaseMode = "plain-single" | "plain-batch" | "engine";

export interface PhaseInput {
  mode: PhaseMode;
  /** bets */
  n: number;
  concurrency: number;
  agents: number;
  urls: ServiceUrls;
  /** the sandbox's control origin (funding) */
  controlUrl: string;
}

export interface Latency {
  p50: number | null;
  p99: number | null;
}

export interface PhaseResult {
  mode: PhaseMode;
  n: number;
  ok: number;
  errors: number;
  elapsedMs: number;
  betsPerSecond: number;
  /** per request (plain) or per job — one call of ≤ 20 bets — from claim to committed completion (engine), ms */
  latencyMs: Latency;
  /** engine only: per job from enqueue to committed completion, ms (queueing included) */
  endToEndMs: Latency | null;
  httpCalls: number;
  /** CPU time (user + system) of the phase's process over the measured window, ms */
  cpuMs: number;
  peakRssMb: number;
  note: string | null;
}

/** Calls of 20 that keep about `concurrency` bets in flight: the plain batch loop's workers, the engine's jobs. */
export function callsInFlight(concurrency: number): number {
  return Math.max(1, Math.round(concurrency / MAX_BETS_PER_BATCH));
}
