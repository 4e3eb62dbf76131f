import { round2, round4 } from "../../purpleflea/fairness.js";
import { isoFromSeconds } from "../clock.js";
import { HttpError } from "../http/http-error.js";
import { json } from "../http/reply.js";
import type { Route } from "../http/router.js";
import { requireAgent } from "./auth.js";
import type { BetFilter, BetRow } from "./bet-store.js";
import type { CasinoContext } from "./context.js";

/** The history filter's game names (the engine's full list, emulated or not). */
const HISTORY_GAMES = [
  "coin_flip",
  "dice",
  "multiplier",
  "roulette",
  "custom",
  "blackjack",
  "crash",
  "plinko",
  "slots",
];
const EXPORT_MAX_ROWS = 10_000;
const CSV_COLUMNS = [
  "bet_id",
  "game",
  "amount_usd",
  "amount_won_usd",
  "net_usd",
  "payout_multiplier",
  "won",
  "server_seed_hash",
  "client_seed",
  "nonce",
  "result_hash",
  "timestamp_utc",
];

/** `GET /bets/history` and `GET /bets/export.csv` (the reconciliation source of §11). */
export function historyRoutes({ world, bets }: CasinoContext): Route[] {
  return [
    {
      method: "GET",
      path: "/bets/history",
      ipLimit: { name: "bets-ip", max: 60 },
      handle(req) {
        const agent = requireAgent(world, req);
        const game = req.query.get("game") || undefined;
        if (game !== undefined && !HISTORY_GAMES.includes(game)) {
          throw new HttpError(400, "invalid_game", `game must be one of: ${HISTORY_GAMES.join(", ")}`);
        }
        const outcome = req.query.get("outcome");
        const since = req.query.get("since");
        const filter: BetFilter = {
          agentId: agent.id,
          game,
          won: outcome === "won" ? true : outcome === "lost" ? false : undefined,
          sinceSeconds: secondsOf(since),
        };
        const limit = Math.min(Math.max(intParam(req.query.get("limit"), 50), 0), 200);
        const offset = Math.max(intParam(req.query.get("offset"), 0), 0);
        const rows = bets.list(filter, limit, offset);
        const totals = bets.totals(filter);
        return json({
          bets: rows.map((b) => ({
            id: b.id,
            game: b.game,
            amount: round2(b.amount),
            amount_won: round2(b.amount_won),
            multiplier: b.payout_multiplier,
            won: b.won === 1,
            net: round2(b.amount_won - b.amount),
            at: isoFromSeconds(b.created_at),
          })),
          pagination: { total: totals.totalBets, limit, offset, has_more: offset + rows.length < totals.totalBets },
          summary: {
            total_bets: totals.totalBets,
            total_wagered: round2(totals.totalWagered),
            total_won_amount: round2(totals.totalWon),
            net_pnl: round2(totals.totalWon - totals.totalWagered),
            win_rate_pct: totals.totalBets > 0 ? Math.round((totals.wins / totals.totalBets) * 10_000) / 100 : 0,
            biggest_win: round2(totals.biggestWin),
          },
          filters: { game: game ?? null, outcome: outcome ?? null, since: since ?? null },
        });
      },
    },
    {
      method: "GET",
      path: "/bets/export.csv",
      ipLimit: { name: "bets-ip", max: 60 },
      handle(req) {
        const agent = requireAgent(world, req);
        const game = req.query.get("game") ?? undefined;
        const outcome = req.query.get("outcome");
        const rows = bets.list(
          {
            agentId: agent.id,
            game: game !== undefined && HISTORY_GAMES.includes(game) ? game : undefined,
            won: outcome === "won" ? true : outcome === "lost" ? false : undefined,
            sinceSeconds: secondsOf(req.query.get("since")),
            untilSeconds: secondsOf(req.query.get("until")),
          },
          EXPORT_MAX_ROWS,
        );
        const csv = [CSV_COLUMNS.join(","), ...rows.map(csvRow)].join("\r\n");
        const day = new Date(world.clock.now()).toISOString().slice(0, 10);
        return {
          status: 200,
          text: csv,
          headers: {
            "content-type": "text/csv; charset=utf-8",
            "content-disposition": `attachment; filename="bets_${agent.id.slice(0, 8)}_${day}.csv"`,
            "cache-control": "private, no-cache",
          },
        };
      },
    },
  ];
}

function csvRow(b: BetRow): string {
  return [
    b.id,
    b.game,
    round2(b.amount).toFixed(2),
    round2(b.amount_won).toFixed(2),
    round2(b.amount_won - b.amount).toFixed(2),
    String(round4(b.payout_multiplier)),
    b.won === 1 ? "true" : "false",
    b.server_seed_hash,
    b.client_seed,
    String(b.nonce),
    b.result_hash,
    isoFromSeconds(b.created_at),
  ]
    .map(csvCell)
    .join(",");
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** An ISO date (or anything Date parses) → whole seconds; unparseable values are ignored, as the engine does. */
function secondsOf(value: string | null): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

function intParam(value: string | null, fallback: number): number {
  const n = Number.parseInt(value ?? "", 10);
  return Number.isNaN(n) ? fallback : n;
}
