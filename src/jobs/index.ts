/** The durable job engine: a queue in the storage seam, dispatcher, canvas, rate limits and failure alerts. */
export {
  AGGREGATE_BET_RESULTS,
  aggregateBetResults,
  aggregateBetResultsTask,
  aggregateBetResultsTaskWith,
  aggregateChordMembers,
  type BetAggregate,
  type BetLine,
  type BetOutcome,
  betOutcomeSchema,
  type PlacedBets,
} from "./aggregate-bet-results.js";
export { backoffDelay } from "./backoff.js";
export { memberOutcome } from "./canvas.js";
export { type Clock, type ClockTimer, ManualClock, systemClock } from "./clock.js";
export { createJobEngine, type JobEngineOptions } from "./engine.js";
export { createFailureHook, type FailureHook, type FailureHookOptions, type JobFailure } from "./failure-hook.js";
export type { JobError } from "./job-error.js";
export {
  casinoBatchLimits,
  casinoGameLimits,
  escrowLimits,
  faucetClaimLimits,
  PURPLE_FLEA_LIMITS,
  RateLimiter,
  registerLimits,
  type TakeResult,
  type WindowLimit,
} from "./rate-limit.js";
export { canTransition, isTerminal } from "./state-machine.js";
export * from "./types.js";
