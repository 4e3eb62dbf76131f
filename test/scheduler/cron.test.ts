import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { matchesWall, parseCron } from "../../scheduler/cron.js";
import { maxFiringsPerDay, nextSlot, prevSlot, type SlotRule, slotRule } from "../../scheduler/slots.js";

const utc = (iso: string) => Date.parse(`${iso}Z`);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(".000Z", "Z"));
const cron = (expr: string, timezone = "UTC"): SlotRule => slotRule({ cron: expr, intervalSeconds: null, timezone });

describe("cron expressions", () => {
  it("finds the next and previous slot of a stepped minute field (UTC)", () => {
    const every15 = cron("*/15 * * * *");
    expect(iso(nextSlot(every15, utc("2025-03-03T10:07:30")))).toBe("2025-03-03T10:15:00Z");
    expect(iso(prevSlot(every15, utc("2025-03-03T10:07:30")))).toBe("2025-03-03T10:00:00Z");
    // a slot is "previous" at its own instant and "next" only strictly after
    expect(iso(prevSlot(every15, utc("2025-03-03T10:15:00")))).toBe("2025-03-03T10:15:00Z");
    expect(iso(nextSlot(every15, utc("2025-03-03T10:15:00")))).toBe("2025-03-03T10:30:00Z");
    expect(iso(nextSlot(every15, utc("2025-12-31T23:59:59")))).toBe("2026-01-01T00:00:00Z");
  });

  it("reads day-of-week names, ranges of names, and 7 as Sunday", () => {
    // 2025-03-07 is a Friday
    const weekdays = cron("0 9 * * mon-FRI");
    expect(iso(nextSlot(weekdays, utc("2025-03-07T10:00:00")))).toBe("2025-03-10T09:00:00Z");
    expect(iso(prevSlot(weekdays, utc("2025-03-09T12:00:00")))).toBe("2025-03-07T09:00:00Z");
    expect(iso(nextSlot(cron("0 22 * * SUN"), utc("2025-03-03T00:00:00")))).toBe("2025-03-09T22:00:00Z");
    expect(iso(nextSlot(cron("0 22 * * 7"), utc("2025-03-03T00:00:00")))).toBe("2025-03-09T22:00:00Z");
    expect(iso(nextSlot(cron("0 6 * * MON"), utc("2025-03-03T06:00:00")))).toBe("2025-03-10T06:00:00Z");
  });

  it("handles lists, stepped ranges, open steps and month names", () => {
    const minutes = cron("10-40/15 * * * *");
    const from = utc("2025-03-03T10:00:00");
    const hits: Array<string | null> = [];
    let t = from;
    for (let i = 0; i < 4; i++) {
      t = nextSlot(minutes, t) as number;
      hits.push(iso(t));
    }
    expect(hits).toEqual([
      "2025-03-03T10:10:00Z",
      "2025-03-03T10:25:00Z",
      "2025-03-03T10:40:00Z",
      "2025-03-03T11:10:00Z",
    ]);
    expect(iso(nextSlot(cron("5/20 * * * *"), utc("2025-03-03T10:26:00")))).toBe("2025-03-03T10:45:00Z");
    expect(iso(nextSlot(cron("0 0 1 jan,JUL *"), utc("2025-03-03T00:00:00")))).toBe("2025-07-01T00:00:00Z");
    expect(iso(nextSlot(cron("0 12 * * 1,3,5"), utc("2025-03-04T13:00:00")))).toBe("2025-03-05T12:00:00Z");
  });

  it("supports a leading seconds field", () => {
    const every10s = cron("*/10 * * * * *");
    expect(iso(nextSlot(every10s, utc("2025-03-03T10:00:03")))).toBe("2025-03-03T10:00:10Z");
    expect(iso(prevSlot(every10s, utc("2025-03-03T10:00:03")))).toBe("2025-03-03T10:00:00Z");
    expect(maxFiringsPerDay(every10s)).toBe(8640);
  });

  it("matches either day field when both are restricted (Vixie cron)", () => {
    // the 13th, or any Friday; 2025-03-07 is a Friday
    const spec = parseCron("0 0 13 * FRI");
    expect(matchesWall(spec, utc("2025-03-07T00:00:00"))).toBe(true);
    expect(matchesWall(spec, utc("2025-03-13T00:00:00"))).toBe(true);
    expect(matchesWall(spec, utc("2025-03-12T00:00:00"))).toBe(false);
    // with a `*` day-of-week, only the day-of-month decides
    expect(matchesWall(parseCron("0 0 13 * *"), utc("2025-03-07T00:00:00"))).toBe(false);
  });

  it("expands macros and finds leap days; an impossible date never fires", () => {
    expect(iso(nextSlot(cron("@weekly"), utc("2025-03-03T00:00:00")))).toBe("2025-03-09T00:00:00Z");
    expect(iso(nextSlot(cron("@hourly"), utc("2025-03-03T00:00:00")))).toBe("2025-03-03T01:00:00Z");
    expect(iso(nextSlot(cron("0 0 29 2 *"), utc("2025-03-01T00:00:00")))).toBe("2028-02-29T00:00:00Z");
    expect(nextSlot(cron("0 0 30 2 *"), utc("2025-03-01T00:00:00"))).toBeNull();
    expect(prevSlot(cron("0 0 30 2 *"), utc("2025-03-01T00:00:00"))).toBeNull();
  });

  it("names the field, the value and the expectation when an expression is bad", () => {
    expect(() => parseCron("61 * * * *")).toThrow("cron `61 * * * *`: minute value `61` is out of range 0–59");
    expect(() => parseCron("* * *")).toThrow("expected 5 fields");
    expect(() => parseCron("*/0 * * * *")).toThrow("minute step in `*/0` must be ≥ 1");
    expect(() => parseCron("0 5-1 * * *")).toThrow("hour range `5-1` starts after it ends");
    expect(() => parseCron("0 0 * * FUNDAY")).toThrow(/day-of-week `FUNDAY` must use whole numbers or a name \(SUN/);
    expect(() => parseCron("0 0 0 * *")).toThrow("day-of-month value `0` is out of range 1–31");
    expect(() => parseCron("0 0 * 13 *")).toThrow("month value `13` is out of range 1–12");
    expect(() => parseCron("1,,2 * * * *")).toThrow("minute `` is not a value, range or step");
  });

  it("counts the most firings one day can hold", () => {
    expect(maxFiringsPerDay(cron("0 * * * *"))).toBe(24);
    expect(maxFiringsPerDay(cron("0 12 * * *"))).toBe(1);
    expect(maxFiringsPerDay(slotRule({ cron: null, intervalSeconds: 300, timezone: "UTC" }))).toBe(288);
    expect(maxFiringsPerDay(slotRule({ cron: null, intervalSeconds: 7, timezone: "UTC" }))).toBe(12_343);
  });

  it("aligns interval slots to the epoch, so every process computes the same ones", () => {
    const every5min = slotRule({ cron: null, intervalSeconds: 300, timezone: "UTC" });
    expect(iso(prevSlot(every5min, utc("2025-03-03T10:07:30")))).toBe("2025-03-03T10:05:00Z");
    expect(iso(nextSlot(every5min, utc("2025-03-03T10:07:30")))).toBe("2025-03-03T10:10:00Z");
  });

  it("agrees with a minute-by-minute scan (property)", () => {
    const fieldOf = (max: number, min = 0) =>
      fc.oneof(
        fc.constant("*"),
        fc.integer({ min, max }).map(String),
        fc.integer({ min: 1, max: Math.max(1, Math.floor((max - min) / 2)) }).map((n) => `*/${n}`),
        fc
          .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
          .map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
        fc.uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: 4 }).map((xs) => xs.join(",")),
      );
    const expression = fc
      .tuple(fieldOf(59), fieldOf(23), fc.constantFrom("*", "1-15", "*/2"), fc.constant("*"), fieldOf(6))
      .map((f) => f.join(" "));
    const instant = fc.integer({ min: utc("2024-01-01T00:00:00"), max: utc("2027-01-01T00:00:00") });
    fc.assert(
      fc.property(expression, instant, (expr, at) => {
        const rule = cron(expr);
        const spec = parseCron(expr);
        const prev = prevSlot(rule, at);
        const next = nextSlot(rule, at);
        if (prev === null || next === null) return false;
        if (!(prev <= at && at < next) || !matchesWall(spec, prev) || !matchesWall(spec, next)) return false;
        // nothing matches strictly between them (bounded scan: the gap can be weeks for sparse expressions)
        const scanEnd = Math.min(next, prev + 3 * 86_400_000);
        for (let t = prev + 60_000; t < scanEnd; t += 60_000) if (matchesWall(spec, t)) return false;
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe("cron in a timezone", () => {
  it("reads the expression in local time, across a spring-forward change", () => {
    const nineBerlin = cron("0 9 * * *", "Europe/Berlin");
    // CET (UTC+1) on the 29th, CEST (UTC+2) from 02:00 on the 30th
    expect(iso(nextSlot(nineBerlin, utc("2025-03-29T00:00:00")))).toBe("2025-03-29T08:00:00Z");
    expect(iso(nextSlot(nineBerlin, utc("2025-03-29T08:00:00")))).toBe("2025-03-30T07:00:00Z");
  });

  it("skips a wall time that a spring-forward gap removes", () => {
    const twoThirty = cron("30 2 * * *", "Europe/Berlin");
    expect(iso(nextSlot(twoThirty, utc("2025-03-29T02:00:00")))).toBe("2025-03-31T00:30:00Z");
  });

  it("fires a wall time repeated by a fall-back change only at its first occurrence", () => {
    const twoThirty = cron("30 2 * * *", "Europe/Berlin");
    // 02:30 CEST = 00:30Z; the repeat at 02:30 CET = 01:30Z does not fire
    expect(iso(nextSlot(twoThirty, utc("2025-10-25T12:00:00")))).toBe("2025-10-26T00:30:00Z");
    expect(iso(nextSlot(twoThirty, utc("2025-10-26T00:30:00")))).toBe("2025-10-27T01:30:00Z");
    expect(iso(prevSlot(twoThirty, utc("2025-10-26T01:45:00")))).toBe("2025-10-26T00:30:00Z");
  });
});
