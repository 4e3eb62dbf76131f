import type { Db } from "../db.js";
import { FleetError } from "../errors.js";
import { DAY_MS, parseIsoWeek, parseUtcDate } from "./period.js";
import { pnlReport } from "./pnl.js";
import type { PnlReport } from "./types.js";

/**
 * Stored PnL summaries: the daily (23:55) and weekly (Monday 06:00) scheduled tasks compute a fleet-wide
 * report for a period and keep it, so `pnl://daily/{date}` and `pnl://weekly` serve what was reported then.
 * Recomputing a period replaces its row (late reconciled bets make a newer, truer summary).
 */

export type SummaryKind = "daily" | "weekly";

export interface StoredSummary {
  kind: SummaryKind;
  /** `2026-11-23` (daily) or `2026-W48` (weekly) */
  key: string;
  from: number;
  to: number;
  report: PnlReport;
  computedAt: number;
}

/** The report for UTC day `date` (YYYY-MM-DD), stored under that key. */
export function dailySummary(db: Db, date: string, now: number = Date.now()): StoredSummary {
  const from = parseUtcDate(date);
  return store(db, "daily", date, from, from + DAY_MS, now);
}

/** The report for ISO week `isoWeek` (YYYY-Www, Monday to Monday UTC), stored under that key. */
export function weeklySummary(db: Db, isoWeek: string, now: number = Date.now()): StoredSummary {
  const from = parseIsoWeek(isoWeek);
  return store(db, "weekly", isoWeek, from, from + 7 * DAY_MS, now);
}

export function getStoredSummary(db: Db, kind: SummaryKind, key: string): StoredSummary | undefined {
  requireKey(kind, key);
  const row = db
    .prepare("SELECT from_ms, to_ms, body, computed_at FROM pnl_summaries WHERE kind = ? AND period_key = ?")
    .get(kind, key) as { from_ms: number; to_ms: number; body: string; computed_at: number } | undefined;
  if (!row) return undefined;
  return {
    kind,
    key,
    from: row.from_ms,
    to: row.to_ms,
    report: JSON.parse(row.body) as PnlReport,
    computedAt: row.computed_at,
  };
}

/** Stored summaries of one kind, newest period first. */
export function listStoredSummaries(db: Db, kind: SummaryKind, limit = 30): Array<Omit<StoredSummary, "report">> {
  requireKind(kind);
  const rows = db
    .prepare(
      "SELECT period_key, from_ms, to_ms, computed_at FROM pnl_summaries WHERE kind = ? ORDER BY from_ms DESC LIMIT ?",
    )
    .all(kind, limit) as Array<{ period_key: string; from_ms: number; to_ms: number; computed_at: number }>;
  return rows.map((r) => ({ kind, key: r.period_key, from: r.from_ms, to: r.to_ms, computedAt: r.computed_at }));
}

function store(db: Db, kind: SummaryKind, key: string, from: number, to: number, now: number): StoredSummary {
  const report = pnlReport(db, { from, to });
  db.prepare(
    `INSERT INTO pnl_summaries (kind, period_key, from_ms, to_ms, body, computed_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (kind, period_key) DO UPDATE SET
       from_ms = excluded.from_ms, to_ms = excluded.to_ms, body = excluded.body, computed_at = excluded.computed_at`,
  ).run(kind, key, from, to, JSON.stringify(report), now);
  return { kind, key, from, to, report, computedAt: now };
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
