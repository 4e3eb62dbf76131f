import type { Db } from "../db.js";
import type { Micros } from "../money.js";
import { rowFilter, type Where } from "./filter.js";
import { DrawdownTracker, roundedMean, SharpeAccumulator } from "./stats.js";
import type { DailyPnl, PnlQuery, PnlReport, TradeStats } from "./types.js";

/**
 * PnL analytics: SQL aggregates over the ledger plus one ordered pass over bet nets for the sequence
 * statistics. Every amount is exact integer micro-USD; only win rate and Sharpe ratios are floats.
 *
 * - Bets are in the period when `placed_at` ∈ [from, to); movements when `at` is.
 * - PnL, by game/agent, days, Sharpe and drawdown count bets only; `netChange` is every row (movements,
 *   opening balances included, plus bet net), i.e. how much the agents' balances moved in the period.
 * - `days` lists UTC days that had at least one bet; averages, best/worst day and the daily Sharpe are over
 *   those trading days (a day without bets is not a 0-PnL day).
 * - Ties: best/worst trade and best/worst day go to the earliest; bets are ordered by time, then by rowid.
 */
export function pnlReport(db: Db, q: PnlQuery = {}): PnlReport {
  const bets = rowFilter(q, "placed_at");
  const movements = rowFilter(q, "at");

  const totals = tradeStats(db, bets, "'*'").get("*") ?? emptyStats();
  const days = dailyPnl(db, bets);
  const { sharpePerBet, maxDrawdown } = sequenceStats(db, bets);
  const dailySharpe = new SharpeAccumulator();
  for (const day of days) dailySharpe.add(day.pnl);
  const flows = movementTotals(db, movements);

  return {
    from: q.from ?? null,
    to: q.to ?? null,
    totals,
    byGame: Object.fromEntries(tradeStats(db, bets, "game")),
    byAgent: Object.fromEntries(tradeStats(db, bets, "agent_id")),
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
export function betPnl(db: Db, q: PnlQuery = {}): Micros {
  const where = rowFilter(q, "placed_at");
  return db.prepare(`SELECT COALESCE(SUM(net), 0) FROM bets ${where.sql}`).pluck().get(where.params) as Micros;
}

interface GroupRow {
  k: string;
  bets: number;
  wins: number;
  wagered: number;
  returned: number;
  pnl: number;
}

interface ExtremeRow {
  k: string;
  client_seed: string;
  bet_id: string;
  net: number;
  best_rank: number;
  worst_rank: number;
}

/** Stats per value of `groupBy` (a column, or a constant for the totals), in key order. */
function tradeStats(db: Db, where: Where, groupBy: string): Map<string, TradeStats> {
  const groups = db
    .prepare(
      `SELECT ${groupBy} AS k, COUNT(*) AS bets, SUM(won) AS wins, SUM(stake) AS wagered, SUM(payout) AS returned,
              SUM(net) AS pnl
       FROM bets ${where.sql} GROUP BY k ORDER BY k`,
    )
    .all(where.params) as GroupRow[];
  const extremes = db
    .prepare(
      `SELECT k, client_seed, bet_id, net, best_rank, worst_rank FROM (
         SELECT ${groupBy} AS k, client_seed, bet_id, net,
                ROW_NUMBER() OVER (PARTITION BY ${groupBy} ORDER BY net DESC, placed_at, id) AS best_rank,
                ROW_NUMBER() OVER (PARTITION BY ${groupBy} ORDER BY net ASC, placed_at, id) AS worst_rank
         FROM bets ${where.sql})
       WHERE best_rank = 1 OR worst_rank = 1`,
    )
    .all(where.params) as ExtremeRow[];

  const out = new Map<string, TradeStats>();
  for (const g of groups) {
    out.set(g.k, {
      bets: g.bets,
      wins: g.wins,
      losses: g.bets - g.wins,
      winRate: g.wins / g.bets,
      wagered: g.wagered,
      returned: g.returned,
      pnl: g.pnl,
      best: null,
      worst: null,
    });
  }
  for (const e of extremes) {
    const stats = out.get(e.k);
    if (!stats) continue;
    const trade = { clientSeed: e.client_seed, betId: e.bet_id, net: e.net };
    if (e.best_rank === 1) stats.best = trade;
    if (e.worst_rank === 1) stats.worst = trade;
  }
  return out;
}

function emptyStats(): TradeStats {
  return { bets: 0, wins: 0, losses: 0, winRate: null, wagered: 0, returned: 0, pnl: 0, best: null, worst: null };
}

function dailyPnl(db: Db, where: Where): DailyPnl[] {
  return db
    .prepare(
      `SELECT strftime('%Y-%m-%d', placed_at / 1000, 'unixepoch') AS date, SUM(net) AS pnl, COUNT(*) AS bets
       FROM bets ${where.sql} GROUP BY date ORDER BY date`,
    )
    .all(where.params) as DailyPnl[];
}

/** One pass over bet nets in time order (ties by rowid): per-bet Sharpe and max drawdown. */
function sequenceStats(db: Db, where: Where): { sharpePerBet: number | null; maxDrawdown: number } {
  const sharpe = new SharpeAccumulator();
  const drawdown = new DrawdownTracker();
  const nets = db.prepare(`SELECT net FROM bets ${where.sql} ORDER BY placed_at, id`).pluck();
  for (const net of nets.iterate(where.params) as IterableIterator<number>) {
    sharpe.add(net);
    drawdown.add(net);
  }
  return { sharpePerBet: sharpe.ratio(), maxDrawdown: drawdown.maxDrawdown };
}

function movementTotals(db: Db, where: Where): { total: number; escrowFees: number; faucetIncome: number } {
  return db
    .prepare(
      `SELECT COALESCE(SUM(amount), 0) AS total,
              COALESCE(SUM(CASE WHEN kind = 'escrow_lock' THEN fee END), 0) AS escrowFees,
              COALESCE(SUM(CASE WHEN kind = 'faucet' THEN amount END), 0) AS faucetIncome
       FROM movements ${where.sql}`,
    )
    .get(where.params) as { total: number; escrowFees: number; faucetIncome: number };
}

/** The first day (earliest date) that no later day beats. */
function pickDay(days: DailyPnl[], beats: (a: DailyPnl, b: DailyPnl) => boolean): DailyPnl | null {
  let pick: DailyPnl | null = null;
  for (const day of days) if (pick === null || beats(day, pick)) pick = day;
  return pick;
}
