/**
 * pf-fleet's concrete tasks (Celery's `@app.task`s with their routes): casino bets, bet batches, escrow,
 * faucet, domains, wallet monitoring, ledger refresh and PnL reports. `aggregate_bet_results` is the engine's
 * own built-in. Every money task has an idempotency key and a `reconcile` that consults the server's records.
 */
import type { FleetDeps } from "../../deps.js";
import { aggregateBetResultsTaskWith } from "../aggregate-bet-results.js";
import type { Clock } from "../clock.js";
import type { JobEngine, TaskDefinition } from "../types.js";
import { balanceCheckTask } from "./balance-check.js";
import { createBetLookup } from "./bet-lookup.js";
import { casinoBetBatchTask } from "./casino-bet-batch.js";
import { casinoPlaceBatchTask } from "./casino-place-batch.js";
import { casinoTransferTask } from "./casino-transfer.js";
import { casinoVerifyTask } from "./casino-verify.js";
import { domainRegisterTask } from "./domain-register.js";
import { escrowCompleteTask, escrowDisputeTask } from "./escrow-actions.js";
import { escrowCreateTask } from "./escrow-create.js";
import { escrowReleaseTask } from "./escrow-release.js";
import { escrowSettleReportTask, escrowSettleTask } from "./escrow-settle.js";
import { escrowValidateTask } from "./escrow-validate.js";
import { faucetClaimTask } from "./faucet-claim.js";
import { ledgerRefreshTask } from "./ledger-refresh.js";
import { LedgerNudger } from "./ledger-sync.js";
import { ledgerPlacedBets } from "./placed-bets.js";
import { dailyPnlTask, weeklyPnlTask } from "./pnl-summaries.js";

export { TASK, type TaskName } from "./args.js";
export * from "./batch-plan.js";
export { assertPlanAllowed, loadBankrolls, type SubmitOptions, submitBatch } from "./batch-submit.js";
export { type OpeningBalance, recordOpeningBalance } from "./opening-balance.js";
export { ledgerPlacedBets } from "./placed-bets.js";

/** What the tasks use of the server's dependencies. */
export type TaskDeps = Pick<FleetDeps, "storage" | "client" | "engine" | "fleet" | "logger">;

export interface FleetTaskOptions {
  /**
   * Draw from the casino/escrow/faucet rate-limit buckets before calls (default true). Turn off only against a
   * server with its limits off (a sandbox started with `rateLimits: false`, a benchmark).
   */
  rateLimits?: boolean;
  /**
   * Sync an agent's server ledger after each of its bet calls (default true), so rows other services write for
   * it are read before its own bets push them out of the 50-row window (src/jobs/tasks/ledger-sync.ts).
   */
  ledgerSync?: boolean;
  /** the engine's clock: paces and leases the agents' fleet-wide ledger lanes (default: this machine's) */
  clock?: Pick<Clock, "now">;
}

export function registerFleetTasks(engine: JobEngine, deps: TaskDeps, opts: FleetTaskOptions = {}): void {
  const limited = opts.rateLimits ?? true;
  const lookup = createBetLookup({ casino: deps.client.casino });
  const register = <A, R>(task: TaskDefinition<A, R>): void =>
    engine.register(limited ? task : { ...task, rateLimits: undefined });

  // the engine's aggregate_bet_results, replaced by one that also reads what members placed from the ledger
  register(aggregateBetResultsTaskWith(ledgerPlacedBets(deps.storage)));
  const nudger = (opts.ledgerSync ?? true) ? new LedgerNudger(deps, deps.logger, opts.clock) : undefined;
  const lane =
    nudger &&
    (<T>(agentId: string, send: () => Promise<T>, signal?: AbortSignal) => nudger.lane(agentId, send, signal));
  register(casinoBetBatchTask(deps, { casino: deps.client.casino, lookup, ...(lane ? { lane } : {}) }));
  register(casinoPlaceBatchTask(deps));
  register(casinoVerifyTask(deps));
  register(casinoTransferTask(deps));
  register(escrowCreateTask(deps));
  register(escrowCompleteTask(deps));
  register(escrowValidateTask(deps));
  register(escrowReleaseTask(deps));
  register(escrowDisputeTask(deps));
  register(escrowSettleTask(deps));
  register(escrowSettleReportTask(deps));
  register(faucetClaimTask(deps));
  register(domainRegisterTask(deps));
  register(balanceCheckTask(deps));
  register(ledgerRefreshTask(deps));
  register(dailyPnlTask());
  register(weeklyPnlTask());
}
