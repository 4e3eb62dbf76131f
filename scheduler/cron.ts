import { FleetError } from "../src/errors.js";

/**
 * Cron expressions, parsed once and matched against wall-clock times. node-cron 4 can only say when a task
 * runs next from the real "now", so slot arithmetic (next and previous match from any instant, with an
 * injectable clock) is done here; node-cron only wakes the scheduler up.
 *
 * Forms: 5 fields `minute hour day-of-month month day-of-week`, or 6 with a leading `second`; `*`, lists,
 * ranges, steps (star-slash-15, `10-40/5`, `5/10`), month and weekday names (`JAN`, `mon-fri`), day-of-week
 * 0–7 (0 and 7 are Sunday) and the `@hourly` … `@yearly` macros. As in Vixie cron, when both day fields are
 * restricted a day matches if either does.
 *
 * Times here are "wall" milliseconds: the local date and time of a timezone written as if it were UTC, so
 * that plain Date.UTC arithmetic walks the calendar. timezone.ts maps wall times to instants.
 */

export interface CronSpec {
  source: string;
  seconds: readonly boolean[];
  minutes: readonly boolean[];
  hours: readonly boolean[];
  /** index 1–31 */
  daysOfMonth: readonly boolean[];
  /** index 1–12 */
  months: readonly boolean[];
  /** index 0–6, Sunday = 0 */
  daysOfWeek: readonly boolean[];
  /** false when the field starts with `*`: then only the other day field decides */
  dayOfMonthRestricted: boolean;
  dayOfWeekRestricted: boolean;
}

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** index of names[0] */
  namesFrom?: number;
  /** upper end of `*` and of open steps when it differs from `max` (day-of-week: 7 is only an alias) */
  openMax?: number;
}

const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const SECOND: FieldDef = { name: "second", min: 0, max: 59 };
const MINUTE: FieldDef = { name: "minute", min: 0, max: 59 };
const HOUR: FieldDef = { name: "hour", min: 0, max: 23 };
const DAY_OF_MONTH: FieldDef = { name: "day-of-month", min: 1, max: 31 };
const MONTH: FieldDef = { name: "month", min: 1, max: 12, names: MONTH_NAMES, namesFrom: 1 };
const DAY_OF_WEEK: FieldDef = { name: "day-of-week", min: 0, max: 7, names: DAY_NAMES, namesFrom: 0, openMax: 6 };

const MACROS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

/** How far next/previous searches look before deciding an expression never matches (covers leap days). */
const SEARCH_HORIZON_MS = 8 * 366 * 86_400_000;

export function parseCron(expression: string): CronSpec {
  const source = expression.trim();
  // own keys only: `__proto__` or `constructor` must not find Object.prototype's members
  const macro = source.toLowerCase();
  const expanded = Object.hasOwn(MACROS, macro) ? (MACROS[macro] as string) : source;
  const fields = expanded.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw invalid(
      source,
      `expected 5 fields (minute hour day-of-month month day-of-week) or 6 (with a leading second), got ${fields.length}`,
    );
  }
  const [sec, min, hour, dom, month, dow] = fields.length === 6 ? fields : ["0", ...fields];
  const daysOfWeek = parseField(source, dow as string, DAY_OF_WEEK);
  if (daysOfWeek[7]) daysOfWeek[0] = true;
  return {
    source,
    seconds: parseField(source, sec as string, SECOND),
    minutes: parseField(source, min as string, MINUTE),
    hours: parseField(source, hour as string, HOUR),
    daysOfMonth: parseField(source, dom as string, DAY_OF_MONTH),
    months: parseField(source, month as string, MONTH),
    daysOfWeek: daysOfWeek.slice(0, 7),
    dayOfMonthRestricted: !(dom as string).startsWith("*"),
    dayOfWeekRestricted: !(dow as string).startsWith("*"),
  };
}

function parseField(source: string, text: string, def: FieldDef): boolean[] {
  const allowed = new Array<boolean>(def.max + 1).fill(false);
  for (const part of text.split(",")) {
    const [range, stepText, extra] = part.split("/");
    if (extra !== undefined || range === undefined || range === "") {
      throw invalid(source, `${def.name} \`${part}\` is not a value, range or step`);
    }
    const step = stepText === undefined ? 1 : parseNumber(source, stepText, def, part);
    if (stepText !== undefined && step < 1) throw invalid(source, `${def.name} step in \`${part}\` must be ≥ 1`);
    let from: number;
    let to: number;
    if (range === "*") {
      from = def.min;
      to = def.openMax ?? def.max;
    } else {
      const [a, b, more] = range.split("-");
      if (more !== undefined || a === undefined || a === "") {
        throw invalid(source, `${def.name} \`${part}\` is not a value, range or step`);
      }
      from = parseValue(source, a, def, part);
      // `5/10` means 5, 15, 25, … up to the field's maximum
      to =
        b === undefined ? (stepText === undefined ? from : (def.openMax ?? def.max)) : parseValue(source, b, def, part);
      if (from > to) throw invalid(source, `${def.name} range \`${range}\` starts after it ends`);
    }
    for (let v = from; v <= to; v += step) allowed[v] = true;
  }
  return allowed;
}

function parseValue(source: string, text: string, def: FieldDef, part: string): number {
  const nameIndex = def.names?.indexOf(text.toUpperCase()) ?? -1;
  if (nameIndex >= 0) return nameIndex + (def.namesFrom ?? 0);
  const n = parseNumber(source, text, def, part);
  if (n < def.min || n > def.max) {
    throw invalid(source, `${def.name} value \`${text}\` is out of range ${def.min}–${def.max}`);
  }
  return n;
}

function parseNumber(source: string, text: string, def: FieldDef, part: string): number {
  if (!/^\d+$/.test(text)) {
    const names = def.names ? ` or a name (${def.names.join(", ")})` : "";
    throw invalid(source, `${def.name} \`${part}\` must use whole numbers${names}`);
  }
  return Number(text);
}

function invalid(source: string, why: string): FleetError {
  return new FleetError("INVALID_INPUT", `cron \`${source}\`: ${why}`, {
    hint: "use 5 fields `minute hour day-of-month month day-of-week` (UTC unless a timezone is set), e.g. `0 * * * *` for hourly",
  });
}

function dayMatches(spec: CronSpec, date: Date): boolean {
  const dom = spec.daysOfMonth[date.getUTCDate()] === true;
  const dow = spec.daysOfWeek[date.getUTCDay()] === true;
  if (spec.dayOfMonthRestricted && spec.dayOfWeekRestricted) return dom || dow;
  return dom && dow;
}

/** True when the wall time (whole second) matches every field. */
export function matchesWall(spec: CronSpec, wall: number): boolean {
  const d = new Date(wall);
  return (
    spec.months[d.getUTCMonth() + 1] === true &&
    dayMatches(spec, d) &&
    spec.hours[d.getUTCHours()] === true &&
    spec.minutes[d.getUTCMinutes()] === true &&
    spec.seconds[d.getUTCSeconds()] === true
  );
}

/**
 * The first matching wall time at or after `from` (rounded up to a whole second), or null if none within
 * eight years. Skips whole months, days, hours and minutes that cannot match, so it is fast for any spec.
 */
export function nextWallMatch(spec: CronSpec, from: number): number | null {
  return walk(spec, Math.ceil(from / 1000) * 1000, 1);
}

/** The last matching wall time at or before `from` (rounded down to a whole second), or null. */
export function prevWallMatch(spec: CronSpec, from: number): number | null {
  return walk(spec, Math.floor(from / 1000) * 1000, -1);
}

function walk(spec: CronSpec, start: number, direction: 1 | -1): number | null {
  const limit = start + direction * SEARCH_HORIZON_MS;
  // past a unit that cannot match: forwards to the next unit's start, backwards to this one's last second
  const past = (unitStart: number, nextUnitStart: number) => (direction === 1 ? nextUnitStart : unitStart - 1000);
  let w = start;
  while (direction === 1 ? w <= limit : w >= limit) {
    const d = new Date(w);
    const [y, mo, day, h, mi] = [
      d.getUTCFullYear(),
      d.getUTCMonth(),
      d.getUTCDate(),
      d.getUTCHours(),
      d.getUTCMinutes(),
    ];
    if (!spec.months[mo + 1]) w = past(Date.UTC(y, mo, 1), Date.UTC(y, mo + 1, 1));
    else if (!dayMatches(spec, d)) w = past(Date.UTC(y, mo, day), Date.UTC(y, mo, day + 1));
    else if (!spec.hours[h]) w = past(Date.UTC(y, mo, day, h), Date.UTC(y, mo, day, h + 1));
    else if (!spec.minutes[mi]) w = past(Date.UTC(y, mo, day, h, mi), Date.UTC(y, mo, day, h, mi + 1));
    else if (!spec.seconds[d.getUTCSeconds()]) w += direction * 1000;
    else return w;
  }
  return null;
}

/** Most firings any one calendar day can hold: every (hour, minute, second) combination on a matching day. */
export function maxMatchesPerDay(spec: CronSpec): number {
  const count = (xs: readonly boolean[]) => xs.filter(Boolean).length;
  return count(spec.seconds) * count(spec.minutes) * count(spec.hours);
}
