import { formatUsd, type Micros } from "../money.js";
import type { PnlReport, TradeStats } from "./types.js";

/**
 * A PnL report as fixed-width text, for tool output and the demo. Amounts are USD with 4 decimals by
 * default: stakes near the $0.01 minimum make 2-decimal columns round to nothing.
 */
export function formatReport(report: PnlReport, opts: { decimals?: number } = {}): string {
  const decimals = opts.decimals ?? 4;
  const usd = (m: Micros) => formatUsd(m, decimals);
  const signed = (m: Micros) => (m > 0 ? `+${usd(m)}` : usd(m));

  const statsRow = (name: string, s: TradeStats): string[] => [
    name,
    String(s.bets),
    String(s.wins),
    String(s.losses),
    s.winRate === null ? "-" : `${(s.winRate * 100).toFixed(1)}%`,
    usd(s.wagered),
    usd(s.returned),
    signed(s.pnl),
    s.best ? signed(s.best.net) : "-",
    s.worst ? signed(s.worst.net) : "-",
  ];
  const statsHeader = (first: string) => [
    first,
    "bets",
    "wins",
    "losses",
    "win%",
    "wagered",
    "returned",
    "pnl",
    "best",
    "worst",
  ];

  const lines = [`PnL report, ${describePeriod(report)}`, ""];
  lines.push(
    ...table(statsHeader("game"), [
      ...Object.entries(report.byGame).map(([game, s]) => statsRow(game, s)),
      statsRow("all", report.totals),
    ]),
    "",
    ...table(
      statsHeader("agent"),
      Object.entries(report.byAgent).map(([agent, s]) => statsRow(agent, s)),
    ),
    "",
    ...table(
      ["money", "usd"],
      [
        ["bet pnl", signed(report.totals.pnl)],
        ["escrow fees paid", usd(report.escrowFees)],
        ["faucet income", usd(report.faucetIncome)],
        ["net change (all rows)", signed(report.netChange)],
      ],
    ),
    "",
    ...table(
      ["day (UTC)", "bets", "pnl"],
      report.days.map((d) => [d.date, String(d.bets), signed(d.pnl)]),
    ),
    "",
    ...table(
      ["risk", "value"],
      [
        ["average daily pnl", report.averageDailyPnl === null ? "-" : signed(report.averageDailyPnl)],
        ["best day", report.bestDay ? `${report.bestDay.date} ${signed(report.bestDay.pnl)}` : "-"],
        ["worst day", report.worstDay ? `${report.worstDay.date} ${signed(report.worstDay.pnl)}` : "-"],
        ["sharpe per bet", ratio(report.sharpePerBet)],
        ["sharpe daily", ratio(report.sharpeDaily)],
        ["max drawdown", usd(report.maxDrawdown)],
      ],
    ),
    "",
    "Sharpe = mean / sample standard deviation, not annualised; amounts in USD.",
  );
  return lines.join("\n");
}

function describePeriod(report: PnlReport): string {
  const at = (ms: number) => new Date(ms).toISOString().replace(".000Z", "Z");
  if (report.from === null && report.to === null) return "all time";
  return `${report.from === null ? "start" : at(report.from)} to ${report.to === null ? "now" : at(report.to)}`;
}

function ratio(x: number | null): string {
  return x === null ? "-" : x.toFixed(4);
}

/** Left-aligned first column, right-aligned numbers, a rule under the header; "(none)" for no rows. */
function table(header: string[], rows: string[][]): string[] {
  const body = rows.length ? rows : [["(none)", ...header.slice(1).map(() => "")]];
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)];
}
