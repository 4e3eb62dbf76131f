import { FleetError } from "../src/errors.js";

/**
 * Instants ↔ wall times ("the local date and time, written as if UTC") for an IANA timezone, from Intl.
 * UTC, the default and the zone of every shipped schedule, takes a fast path with no Intl call.
 *
 * DST: a wall time skipped by a spring-forward gap has no instant (that slot does not fire); a wall time
 * repeated by a fall-back overlap maps to its first instant only, so it fires once.
 */

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

/** The zone's canonical name (`utc` → `UTC`); INVALID_INPUT for a name Intl does not know. */
export function canonicalTimeZone(name: string): string {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw new FleetError(
      "INVALID_INPUT",
      `timezone must be an IANA name like \`UTC\` or \`Europe/Berlin\`, got \`${name}\``,
      { hint: "a zone of the tz database (`America/New_York`, `Asia/Tokyo`); omit it for UTC; nothing was changed" },
    );
  }
}

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Wall time of an instant, to the whole second. */
export function toWall(timeZone: string, instant: number): number {
  const second = Math.floor(instant / 1000) * 1000;
  if (timeZone === "UTC") return second;
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(second)) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return Date.UTC(parts.year as number, (parts.month as number) - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/** The zone's offset from UTC at an instant, ms (wall − instant). */
export function offsetAt(timeZone: string, instant: number): number {
  return toWall(timeZone, instant) - Math.floor(instant / 1000) * 1000;
}

/** The earliest instant whose wall time is `wall`, or null when `wall` falls in a DST gap. */
export function wallToInstant(timeZone: string, wall: number): number | null {
  if (timeZone === "UTC") return wall;
  // the offsets a day either side cover both sides of any transition near `wall`
  const candidates = [wall - offsetAt(timeZone, wall - DAY_MS), wall - offsetAt(timeZone, wall + DAY_MS)];
  const valid = candidates.filter((t) => toWall(timeZone, t) === wall);
  return valid.length === 0 ? null : Math.min(...valid);
}

/**
 * A wall time at or after the wall time of every instant ≤ `instant`: the instant's own wall time, or more
 * during a fall-back overlap (where the earlier, larger offset still names later wall times).
 */
export function latestWallUpTo(timeZone: string, instant: number): number {
  if (timeZone === "UTC") return toWall(timeZone, instant);
  const second = Math.floor(instant / 1000) * 1000;
  return second + Math.max(offsetAt(timeZone, instant), offsetAt(timeZone, instant - 3 * 3_600_000));
}
