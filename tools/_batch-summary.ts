/**
 * A bet batch's summary as the batch tools report it. A finished chord's result is the aggregate its
 * `aggregate_bet_results` callback computed; a chord still running is summarised by the same function over
 * the members settled so far, so both answers read alike.
 */
import { z } from "zod";
import type { FleetDeps } from "../src/deps.js";
import {
  AGGREGATE_BET_RESULTS,
  aggregateChordMembers,
  type BetAggregate,
  type ChordMemberOutcome,
  isTerminal,
  type JobEngine,
  type JobProgress,
  type JobRow,
  memberOutcome,
} from "../src/jobs/index.js";
import { ledgerPlacedBets } from "../src/jobs/tasks/placed-bets.js";
import { formatUsd, type Micros, microsToUsd } from "../src/money.js";

const trade = z
  .object({ client_seed: z.string(), bet_id: z.string(), job_id: z.string(), net_usd: z.number() })
  .nullable();

export const summaryView = z.object({
  total_bets: z.number().int().describe("bets the server settled"),
  wins: z.number().int(),
  losses: z.number().int(),
  win_rate: z.number().nullable().describe("0–1; null before any bet settled"),
  wagered_usd: z.number(),
  returned_usd: z.number().describe("gross: stake × multiplier of the wins"),
  total_pnl_usd: z.number().describe("returned − wagered: the change of the agents' balances from these bets"),
  best: trade,
  worst: trade,
  failed: z.number().int().describe("bets that did not settle (refused, cancelled, expired, unknown)"),
  pending: z.number().int().describe("bets not finished yet"),
  failures: z
    .array(z.object({ reason: z.string(), count: z.number().int() }))
    .describe("why bets failed, most frequent first"),
});
export type SummaryView = z.output<typeof summaryView>;

const PAGE = 500;

/**
 * The chord's own aggregate when it finished; else the aggregate of its members so far, computed as its callback
 * will compute it (a page of members at a time), so both answers read alike.
 */
export async function batchAggregate(
  deps: Pick<FleetDeps, "engine" | "storage">,
  chord: JobRow,
): Promise<BetAggregate> {
  if (chord.state === "succeeded" && isAggregate(chord.result)) return chord.result;
  return aggregateChordMembers(deps.storage.jobs, chord.id, { placedBy: ledgerPlacedBets(deps.storage) });
}

function isAggregate(x: unknown): x is BetAggregate {
  return typeof x === "object" && x !== null && "totalBets" in x && "failedBets" in x && "pendingBets" in x;
}

/**
 * How many of a chord's `total` bets have settled or failed: a cheap count for progress notifications (no
 * parsing of receipts), from the members' rows.
 */
export async function batchProgress(engine: JobEngine, chord: JobRow, total: number): Promise<JobProgress> {
  let done = 0;
  if (chord.state === "succeeded" && isAggregate(chord.result)) {
    done = chord.result.totalBets + chord.result.failedBets;
  } else {
    for await (const m of members(engine, chord.id)) {
      if (m.state === "succeeded") done += betsIn(m.result);
      else if (isTerminal(m.state)) done += betsIn(m.args);
    }
  }
  return { done, total, message: `${done} of ${total} bets settled` };
}

function betsIn(x: unknown): number {
  if (typeof x !== "object" || x === null) return 1;
  const o = x as { bets?: unknown; placed?: unknown; refused?: unknown; clientSeeds?: unknown };
  if (Array.isArray(o.clientSeeds)) return o.clientSeeds.length;
  const refused = Array.isArray(o.refused) ? o.refused.length : 0;
  if (typeof o.placed === "number") return o.placed + refused;
  // a member result of an earlier version lists every bet
  if (Array.isArray(o.bets)) return o.bets.length + refused;
  return 1;
}

/** The chord's members (its bet jobs), without its callback. */
async function* members(engine: JobEngine, chordId: string): AsyncGenerator<ChordMemberOutcome> {
  let cursor: string | undefined;
  do {
    const page = await engine.list({ canvasId: chordId, limit: PAGE, ...(cursor ? { cursor } : {}) });
    for (const j of page.jobs) {
      if (j.task === AGGREGATE_BET_RESULTS) continue;
      yield memberOutcome(j);
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}

export function summaryOut(a: BetAggregate): SummaryView {
  const tradeOut = (t: BetAggregate["best"]) =>
    t ? { client_seed: t.clientSeed, bet_id: t.betId, job_id: t.jobId, net_usd: microsToUsd(t.net) } : null;
  return {
    total_bets: a.totalBets,
    wins: a.wins,
    losses: a.losses,
    win_rate: a.winRate,
    wagered_usd: microsToUsd(a.wagered),
    returned_usd: microsToUsd(a.returned),
    total_pnl_usd: microsToUsd(a.totalPnl),
    best: tradeOut(a.best),
    worst: tradeOut(a.worst),
    failed: a.failedBets,
    pending: a.pendingBets,
    failures: failureReasons(a),
  };
}

/** Failed members grouped by reason; a 500-bet batch refused for one cause reads as one line. */
function failureReasons(a: BetAggregate): Array<{ reason: string; count: number }> {
  const counts = new Map<string, number>();
  for (const f of a.failed) counts.set(f.reason, (counts.get(f.reason) ?? 0) + f.bets);
  return [...counts].map(([reason, count]) => ({ reason, count })).sort((x, y) => y.count - x.count);
}

/** `+$0.0970`, `-$0.0500`, `$0.0000`: the sign before the dollar, as people write it. */
export function signedUsd(m: Micros, decimals = 4): string {
  return `${m > 0 ? "+" : m < 0 ? "-" : ""}$${formatUsd(Math.abs(m), decimals)}`;
}

export function summaryText(a: BetAggregate): string {
  if (a.totalBets === 0 && a.failedBets === 0) return `nothing settled yet; ${a.pendingBets} pending.`;
  const signed = (m: Micros) => signedUsd(m);
  const rate = a.winRate === null ? "" : ` (${(a.winRate * 100).toFixed(1)}%)`;
  const parts = [
    `${a.totalBets} bets settled, ${a.wins} won${rate}`,
    `PnL ${signed(a.totalPnl)} on $${formatUsd(a.wagered)} wagered`,
  ];
  if (a.best && a.worst) parts.push(`best ${signed(a.best.net)}, worst ${signed(a.worst.net)}`);
  if (a.pendingBets) parts.push(`${a.pendingBets} pending`);
  if (a.failedBets) {
    const why = failureReasons(a)
      .map((f) => `${f.count}× ${f.reason}`)
      .join("; ");
    parts.push(`${a.failedBets} failed: ${why}`);
  }
  return `${parts.join("; ")}.`;
}
