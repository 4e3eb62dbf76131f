import { FleetError } from "../errors.js";
import type { Executor } from "../storage/types.js";
import { DAY_MS, parseIsoWeek, parseUtcDate } from "./period.js";
import { pnlReport } from "./pnl.js";
import type { StoredSummary, SummaryKind } from "./types.js";

export type { StoredSummary, SummaryKind };

type Ledger = Pick<Executor, "ledger">;

/**
 * Stored PnL summaries: the daily (23:55) and weekly (Monday 06:00) scheduled tasks compute a fleet-wide
 * report for a period and keep it, so `pnl://daily/{date}` and `pnl://weekly` serve what was reported then.
 * Recomputing a period replaces its row (late reconciled bets make a newer, truer summary).
 */

/** The report for UTC day `date` (YYYY-MM-DD), stored under that key. */
export async function dailySummary(x: Ledger, date: string, now: number = Date.now()): Promise<StoredSummary> {
  const from = parseUtcDate(date);
  return store(x, "daily", date, from, from + DAY_MS, now);
}

/** The report for ISO week `isoWeek` (YYYY-Www, Monday to Monday UTC), stored under that key. */
export async function weeklySummary(x: Ledger, isoWeek: string, now: number = Date.now()): Promise<StoredSummary> {
  const from = parseIsoWeek(isoWeek);
  return store(x, "weekly", isoWeek, from, from + 7 * DAY_MS, now);
}

export async function getStoredSummary(x: Ledger, kind: SummaryKind, key: string): Promise<StoredSummary | undefined> {
  requireKey(kind, key);
  return x.ledger.summary(kind, key);
}

/** Stored summaries of one kind, newest period first. */
export async function listStoredSummaries(
  x: Ledger,
  kind: SummaryKind,
  limit = 30,
): Promise<Array<Omit<StoredSummary, "report">>> {
  requireKind(kind);
  return x.ledger.listSummaries(kind, limit);
}

async function store(
  x: Ledger,
  kind: SummaryKind,
  key: string,
  from: number,
  to: number,
  now: number,
): Promise<StoredSummary> {
  const summary: StoredSummary = { kind, key, from, to, report: await pnlReport(x, { from, to }), computedAt: now };
  await x.ledger.storeSummary(summary);
  return summary;
}

function requireKind(kind: unknown): asserts kind is SummaryKind {
  if (kind !== "daily" && kind !== "weekly") {
    throw new FleetError("INVALID_INPUT", `summary kind must be \`daily\` or \`weekly\`, got \`${String(kind)}\``);
  }
}

function requireKey(kind: SummaryKind, key: string): void {
  requireKind(kind);
  if (kind === "daily") parseUtcDate(key);
  else parseIsoWeek(key);
}
