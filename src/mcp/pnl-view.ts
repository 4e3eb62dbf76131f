import type { DailyPnl, PnlReport, TradeStats } from "../ledger/types.js";
import { microsToUsd } from "../money.js";

/** A ledger PnL report (integer micro-USD) as JSON for tools and resources: the same fields, amounts in USD. */
export function pnlReportView(r: PnlReport) {
  return {
    from: r.from === null ? null : new Date(r.from).toISOString(),
    to: r.to === null ? null : new Date(r.to).toISOString(),
    ...pnlFiguresView(r),
  };
}

/** The report's figures without its period (the pnl_report tool states the period it was asked for). */
export function pnlFiguresView(r: PnlReport) {
  return {
    totals: statsView(r.totals),
    by_game: mapValues(r.byGame, statsView),
    by_agent: mapValues(r.byAgent, statsView),
    escrow_fees_usd: microsToUsd(r.escrowFees),
    faucet_income_usd: microsToUsd(r.faucetIncome),
    net_change_usd: microsToUsd(r.netChange),
    days: r.days.map(dayView),
    average_daily_pnl_usd: r.averageDailyPnl === null ? null : microsToUsd(r.averageDailyPnl),
    best_day: r.bestDay ? dayView(r.bestDay) : null,
    worst_day: r.worstDay ? dayView(r.worstDay) : null,
    sharpe_per_bet: r.sharpePerBet,
    sharpe_daily: r.sharpeDaily,
    max_drawdown_usd: microsToUsd(r.maxDrawdown),
  };
}

function statsView(s: TradeStats) {
  return {
    bets: s.bets,
    wins: s.wins,
    losses: s.losses,
    win_rate: s.winRate,
    wagered_usd: microsToUsd(s.wagered),
    returned_usd: microsToUsd(s.returned),
    pnl_usd: microsToUsd(s.pnl),
    best: tradeView(s.best),
    worst: tradeView(s.worst),
  };
}

function tradeView(t: TradeStats["best"]) {
  return t ? { client_seed: t.clientSeed, bet_id: t.betId, net_usd: microsToUsd(t.net) } : null;
}

function dayView(d: DailyPnl) {
  return { date: d.date, pnl_usd: microsToUsd(d.pnl), bets: d.bets };
}

function mapValues<A, B>(o: Record<string, A>, f: (a: A) => B): Record<string, B> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v)]));
}
