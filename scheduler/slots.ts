import { type CronSpec, maxMatchesPerDay, nextWallMatch, parseCron, prevWallMatch } from "./cron.js";
import { latestWallUpTo, toWall, wallToInstant } from "./timezone.js";

/**
 * Slots: the instants (ms since epoch, whole seconds) at which a schedule is due. Every process computes the
 * same slots from the same row, which is what lets the (schedule, slot) key make a firing unique.
 * Interval slots are aligned to the epoch (every 300 s = :00, :05, … UTC), not to when a process started.
 */

export type SlotRule = { kind: "cron"; spec: CronSpec; timeZone: string } | { kind: "interval"; everyMs: number };

export function slotRule(s: { cron: string | null; intervalSeconds: number | null; timezone: string }): SlotRule {
  if (s.cron !== null) return { kind: "cron", spec: parseCron(s.cron), timeZone: s.timezone };
  return { kind: "interval", everyMs: (s.intervalSeconds as number) * 1000 };
}

/** The first slot strictly after `after`, or null if the rule never fires again. */
export function nextSlot(rule: SlotRule, after: number): number | null {
  if (rule.kind === "interval") return (Math.floor(after / rule.everyMs) + 1) * rule.everyMs;
  let from = toWall(rule.timeZone, after) + 1000;
  for (;;) {
    const wall = nextWallMatch(rule.spec, from);
    if (wall === null) return null;
    const instant = wallToInstant(rule.timeZone, wall);
    // null: the wall time is in a DST gap; ≤ after: its first occurrence has passed (fall-back overlap)
    if (instant !== null && instant > after) return instant;
    from = wall + 1000;
  }
}

/** The last slot at or before `at`, or null if there is none within the search horizon. */
export function prevSlot(rule: SlotRule, at: number): number | null {
  if (rule.kind === "interval") return Math.floor(at / rule.everyMs) * rule.everyMs;
  let from = latestWallUpTo(rule.timeZone, at);
  for (;;) {
    const wall = prevWallMatch(rule.spec, from);
    if (wall === null) return null;
    const instant = wallToInstant(rule.timeZone, wall);
    if (instant !== null && instant <= at) return instant;
    from = wall - 1000;
  }
}

/** The most firings one day can hold: the basis of a money schedule's worst-case daily stake. */
export function maxFiringsPerDay(rule: SlotRule): number {
  if (rule.kind === "interval") return Math.ceil(86_400_000 / rule.everyMs);
  return maxMatchesPerDay(rule.spec);
}
