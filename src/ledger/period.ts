import { FleetError } from "../errors.js";
import type { PnlQuery } from "./types.js";

/**
 * Report periods, all in UTC: a day is [00:00, next 00:00); a week is an ISO-8601 week, Monday 00:00 to the
 * next Monday 00:00, numbered so that week 1 is the week holding the year's first Thursday.
 */

export const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

export type PeriodKind = "today" | "day" | "week" | "range" | "all";

/** [from, to) in ms; both absent for "all". Spreads straight into a PnlQuery. */
export type PeriodRange = Pick<PnlQuery, "from" | "to">;

export interface PeriodOptions {
  /** "day": `YYYY-MM-DD`; "week": `YYYY-Www`, or a `YYYY-MM-DD` inside the week */
  date?: string;
  /** "range": ms since epoch or an ISO date/time */
  from?: number | string;
  to?: number | string;
  /** "today", and "week" without a date */
  now: number;
}

export function periodRange(kind: PeriodKind, opts: PeriodOptions): PeriodRange {
  switch (kind) {
    case "today": {
      const from = startOfUtcDay(opts.now);
      return { from, to: from + DAY_MS };
    }
    case "day": {
      if (opts.date === undefined) throw new FleetError("INVALID_INPUT", "period `day` needs a date (YYYY-MM-DD)");
      const from = parseUtcDate(opts.date);
      return { from, to: from + DAY_MS };
    }
    case "week": {
      const from =
        opts.date === undefined
          ? startOfIsoWeek(opts.now)
          : /W/.test(opts.date)
            ? parseIsoWeek(opts.date)
            : startOfIsoWeek(parseUtcDate(opts.date));
      return { from, to: from + WEEK_MS };
    }
    case "range": {
      if (opts.from === undefined || opts.to === undefined) {
        throw new FleetError("INVALID_INPUT", "period `range` needs both from and to");
      }
      const from = parseInstant("from", opts.from);
      const to = parseInstant("to", opts.to);
      if (from >= to) {
        throw new FleetError("INVALID_INPUT", `from must be before to, got \`${opts.from}\` and \`${opts.to}\``);
      }
      return { from, to };
    }
    case "all":
      return {};
    default:
      throw new FleetError(
        "INVALID_INPUT",
        `period must be one of today, day, week, range, all, got \`${String(kind satisfies never)}\``,
      );
  }
}

export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Monday 00:00 UTC of the ISO week holding `ms`. */
export function startOfIsoWeek(ms: number): number {
  const day = startOfUtcDay(ms);
  const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return day - weekday * DAY_MS;
}

/** `2026-11-23` for any instant of that UTC day. */
export function utcDateKey(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** `2026-W48` for any instant of that ISO week. */
export function isoWeekKey(ms: number): string {
  const monday = startOfIsoWeek(ms);
  // The ISO year is the year of the week's Thursday; week 1 holds that year's first Thursday.
  const thursday = monday + 3 * DAY_MS;
  const year = new Date(thursday).getUTCFullYear();
  const week = Math.floor((thursday - Date.UTC(year, 0, 1)) / WEEK_MS) + 1;
  return `${year}-W${String(week).padStart(2, "0")}`;
}

/** `YYYY-MM-DD` → 00:00 UTC of that day; rejects impossible dates such as 2026-02-30. */
export function parseUtcDate(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || Number.isNaN(ms) || utcDateKey(ms) !== text) {
    throw new FleetError("INVALID_INPUT", `date must be a real calendar date YYYY-MM-DD (UTC), got \`${text}\``);
  }
  return ms;
}

/** `YYYY-Www` → Monday 00:00 UTC of that ISO week; rejects week 53 in years that have only 52. */
export function parseIsoWeek(text: string): number {
  const m = /^(\d{4})-W(\d{2})$/.exec(text);
  if (m) {
    const jan4 = Date.UTC(Number(m[1]), 0, 4); // always in week 1
    const monday = startOfIsoWeek(jan4) + (Number(m[2]) - 1) * WEEK_MS;
    if (Number(m[2]) >= 1 && isoWeekKey(monday) === text) return monday;
  }
  throw new FleetError("INVALID_INPUT", `week must be an ISO week YYYY-Www such as 2026-W48, got \`${text}\``);
}

/** A date/time without a zone is read as UTC (Date.parse would read it as the machine's local time). */
function parseInstant(field: string, value: number | string): number {
  const ms =
    typeof value === "number"
      ? value
      : /^\d{4}-\d{2}-\d{2}$/.test(value)
        ? parseUtcDate(value)
        : Date.parse(/T[\d:.]+$/.test(value) ? `${value}Z` : value);
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new FleetError("INVALID_INPUT", `${field} must be ms since the epoch or an ISO date/time, got \`${value}\``);
  }
  return ms;
}
