import { describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import { isoWeekKey, parseIsoWeek, periodRange, utcDateKey } from "../../src/ledger/index.js";

const utc = (iso: string) => Date.parse(iso);

describe("periodRange (UTC)", () => {
  it("today runs from 00:00 UTC to the next 00:00, even in the day's last millisecond", () => {
    expect(periodRange("today", { now: utc("2026-11-23T23:59:59.999Z") })).toEqual({
      from: utc("2026-11-23T00:00:00Z"),
      to: utc("2026-11-24T00:00:00Z"),
    });
    expect(periodRange("today", { now: utc("2026-11-24T00:00:00Z") }).from).toBe(utc("2026-11-24T00:00:00Z"));
  });

  it("day takes a calendar date and rejects impossible ones", () => {
    expect(periodRange("day", { date: "2028-02-29", now: 0 })).toEqual({
      from: utc("2028-02-29T00:00:00Z"),
      to: utc("2028-03-01T00:00:00Z"),
    });
    expect(() => periodRange("day", { date: "2026-02-29", now: 0 })).toThrow(
      "date must be a real calendar date YYYY-MM-DD (UTC), got `2026-02-29`",
    );
    expect(() => periodRange("day", { date: "23/11/2026", now: 0 })).toThrow(FleetError);
    expect(() => periodRange("day", { now: 0 })).toThrow(/needs a date/);
  });

  it("week is the ISO week: Monday 00:00 to the next Monday, Sunday night included", () => {
    const w48 = { from: utc("2026-11-23T00:00:00Z"), to: utc("2026-11-30T00:00:00Z") };
    expect(periodRange("week", { now: utc("2026-11-29T23:59:59.999Z") })).toEqual(w48); // Sunday
    expect(periodRange("week", { now: utc("2026-11-23T00:00:00Z") })).toEqual(w48); // Monday
    expect(periodRange("week", { now: utc("2026-11-30T00:00:00Z") }).from).toBe(w48.to); // next Monday
    expect(periodRange("week", { date: "2026-W48", now: 0 })).toEqual(w48);
    expect(periodRange("week", { date: "2026-11-26", now: 0 })).toEqual(w48);
  });

  it("numbers weeks across year ends the ISO way", () => {
    // 2026 starts on a Thursday, so it has a week 53 that holds 1 January 2027
    expect(isoWeekKey(utc("2027-01-01T12:00:00Z"))).toBe("2026-W53");
    expect(parseIsoWeek("2026-W53")).toBe(utc("2026-12-28T00:00:00Z"));
    // Monday 29 December 2025 already belongs to 2026-W01
    expect(isoWeekKey(utc("2025-12-29T00:00:00Z"))).toBe("2026-W01");
    expect(isoWeekKey(utc("2025-12-28T23:59:59.999Z"))).toBe("2025-W52");
    expect(() => parseIsoWeek("2027-W53")).toThrow(
      "week must be an ISO week YYYY-Www such as 2026-W48, got `2027-W53`",
    );
    expect(() => parseIsoWeek("2026-W00")).toThrow(FleetError);
  });

  it("range accepts ms or ISO times (zone-less times are UTC) and needs from before to", () => {
    expect(periodRange("range", { from: "2026-11-23", to: "2026-11-24T06:30", now: 0 })).toEqual({
      from: utc("2026-11-23T00:00:00Z"),
      to: utc("2026-11-24T06:30:00Z"),
    });
    expect(periodRange("range", { from: 5, to: 10, now: 0 })).toEqual({ from: 5, to: 10 });
    expect(() => periodRange("range", { from: 10, to: 10, now: 0 })).toThrow(/from must be before to/);
    expect(() => periodRange("range", { from: "yesterday", to: 10, now: 0 })).toThrow(
      "from must be ms since the epoch or an ISO date/time, got `yesterday`",
    );
    expect(() => periodRange("range", { from: 5, now: 0 })).toThrow(/needs both from and to/);
  });

  it("all is unbounded, and an unknown period is refused", () => {
    expect(periodRange("all", { now: 0 })).toEqual({});
    expect(() => periodRange("month" as never, { now: 0 })).toThrow(/period must be one of/);
  });

  it("date keys are UTC", () => {
    expect(utcDateKey(utc("2026-11-23T23:59:59.999Z"))).toBe("2026-11-23");
    expect(utcDateKey(utc("2026-11-24T00:00:00+01:00"))).toBe("2026-11-23");
  });
});
