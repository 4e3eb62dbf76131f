/**
 * A bet batch as one row: its chord's progress, wins, losses and running PnL, summed by the database from the
 * members' rows and the ledger's bets (`jobs.betBatchTotals`), so a 50,000-bet chord costs one grouped query and
 * no member result is ever loaded.
 */
import type { FleetDeps } from "../../deps.js";
import { AGGREGATE_BET_RESULTS } from "../../jobs/index.js";
import { microsToUsd } from "../../money.js";
import type { BetBatchTotals, StoredJob } from "../../storage/jobs.js";

export interface BatchSummary {
  game: string;
  calls_total: number;
  calls_done: number;
  bets_total: number;
  bets_done: number;
  wins: number;
  losses: number;
  staked_usd: number;
  pnl_usd: number;
}

/** a chord whose callback sums bets: what the batch tools and the scheduled batch submit */
export function isBetBatch(job: StoredJob): boolean {
  const callback = (job.args as { callback?: { task?: unknown } } | null)?.callback;
  return job.kind === "chord" && callback?.task === AGGREGATE_BET_RESULTS;
}

/** the summaries of the bet batches among `jobs`, by chord id */
export async function batchSummaries(
  deps: Pick<FleetDeps, "storage">,
  jobs: readonly StoredJob[],
): Promise<Map<string, BatchSummary>> {
  const ids = jobs.filter(isBetBatch).map((j) => j.id);
  const totals = await deps.storage.jobs.betBatchTotals(ids);
  return new Map(totals.map((t) => [t.canvasId, summaryOf(t)]));
}

function summaryOf(t: BetBatchTotals): BatchSummary {
  return {
    game: t.game ?? "unknown",
    calls_total: t.callsTotal,
    calls_done: t.callsDone,
    bets_total: t.betsTotal,
    bets_done: t.betsDone,
    wins: t.wins,
    losses: t.settled - t.wins,
    staked_usd: microsToUsd(t.staked),
    pnl_usd: microsToUsd(t.pnl),
  };
}
