import type { Micros } from "../money.js";
import type { BetGroup, BetGrouping, LedgerFilter } from "../storage/ledger.js";
import type { Executor } from "../storage/types.js";
import { rowFilter } from "./filter.js";
import { roundedMean, SharpeAccumulator } from "./stats.js";
import type { DailyPnl, PnlQuery, PnlReport, TradeStats } from "./types.js";

type Ledger = Pick<Executor, "ledger">;

/**
 * PnL analytics: aggregates the storage computes over the ledger (SQL on SQLite) plus one ordered pass over bet
 * nets for the sequence statistics. Every amount is exact integer micro-USD; only win rate and Sharpe ratios are
 * floats.
 *
 * - Bets are in the period when `placed_at` ∈ [from, to); movements when `at` is.
 * - PnL, by game/agent, days, Sharpe and drawdown count bets only; `netChange` is every row (movements,
 *   opening balances included, plus bet net), i.e. how much the agents' balances moved in the period.
 * - `days` lists UTC days that had at least one bet; averages, best/worst day and the daily Sharpe are over
 *   those trading days (a day without bets is not a 0-PnL day).
 * - Ties: best/worst trade and best/worst day go to the earliest; bets are ordered by time, then by rowid.
 */
export async function pnlReport(x: Ledger, q: PnlQuery = {}): Promise<PnlReport> {
  const filter = rowFilter(q);

  const totals = (await tradeStats(x, filter, "all")).get("*") ?? emptyStats();
  const days = await x.ledger.dailyBetPnl(filter);
  const { sharpePerBet, maxDrawdown } = await x.ledger.betSequenceStats(filter);
  const dailySharpe = new SharpeAccumulator();
  for (const day of days) dailySharpe.add(day.pnl);
  const flows = await x.ledger.movementTotals(filter);

  return {
    from: q.from ?? null,
    to: q.to ?? null,
    totals,
    byGame: Object.fromEntries(await tradeStats(x, filter, "game")),
    byAgent: Object.fromEntries(await tradeStats(x, filter, "agent")),
    escrowFees: flows.escrowFees,
    faucetIncome: flows.faucetIncome,
    netChange: flows.total + totals.pnl,
    days,
    averageDailyPnl: days.length ? roundedMean(totals.pnl, days.length) : null,
    bestDay: pickDay(days, (a, b) => a.pnl > b.pnl),
    worstDay: pickDay(days, (a, b) => a.pnl < b.pnl),
    sharpePerBet,
    sharpeDaily: dailySharpe.ratio(),
    maxDrawdown,
  };
}

/**
 * Σ bet net in the window: the cheap query behind risk checks (today's realised loss of an agent), without
 * building a whole report.
 */
export async function betPnl(x: Ledger, q: PnlQuery = {}): Promise<Micros> {
  return x.ledger.betNet(rowFilter(q));
}

/** Stats per group (per game, per agent, or `*` for the totals), in key order. */
async function tradeStats(x: Ledger, filter: LedgerFilter, by: BetGrouping): Promise<Map<string, TradeStats>> {
  const groups = await x.ledger.betGroups(filter, by);
  return new Map(groups.map((g) => [g.key, toStats(g)]));
}

function toStats(g: BetGroup): TradeStats {
  return {
    bets: g.bets,
    wins: g.wins,
    losses: g.bets - g.wins,
    winRate: g.wins / g.bets,
    wagered: g.wagered,
    returned: g.returned,
    pnl: g.pnl,
    best: g.best,
    worst: g.worst,
  };
}

function emptyStats(): TradeStats {
  return { bets: 0, wins: 0, losses: 0, winRate: null, wagered: 0, returned: 0, pnl: 0, best: null, worst: null };
}

/** The first day (earliest date) that no later day beats. */
function pickDay(days: DailyPnl[], beats: (a: DailyPnl, b: DailyPnl) => boolean): DailyPnl | null {
  let pick: DailyPnl | null = null;
  for (const day of days) if (pick === null || beats(day, pick)) pick = day;
  return pick;
}
