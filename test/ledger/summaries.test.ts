import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  dailySummary,
  getStoredSummary,
  listStoredSummaries,
  pnlReport,
  recordBet,
  weeklySummary,
} from "../../src/ledger/index.js";
import { A, loadFixture } from "./fixture.js";
import { bet, tempLedger, utc } from "./helpers.js";

let ledger: ReturnType<typeof tempLedger>;
beforeEach(async () => {
  ledger = tempLedger();
  await loadFixture(ledger.storage);
});
afterEach(() => ledger.close());

describe("stored PnL summaries", () => {
  it("a daily summary covers one UTC day and round-trips through the database unchanged", async () => {
    const now = utc("2026-11-24T23:55:00Z");
    const summary = await dailySummary(ledger.storage, "2026-11-24", now);
    expect(summary).toMatchObject({
      kind: "daily",
      key: "2026-11-24",
      from: utc("2026-11-24T00:00:00Z"),
      to: utc("2026-11-25T00:00:00Z"),
      computedAt: now,
    });
    expect(summary.report.totals.pnl).toBe(-2_000_000 - 1_000_000 + 298_000);
    expect(summary.report.escrowFees).toBe(10_000);
    expect(await getStoredSummary(ledger.storage, "daily", "2026-11-24")).toEqual(summary);
  });

  it("a weekly summary covers the ISO week and excludes the Sunday before it", async () => {
    const summary = await weeklySummary(ledger.storage, "2026-W48", utc("2026-11-30T06:00:00Z"));
    expect(summary.from).toBe(utc("2026-11-23T00:00:00Z"));
    expect(summary.to).toBe(utc("2026-11-30T00:00:00Z"));
    expect(summary.report.totals.bets).toBe(8);
    expect(summary.report).toEqual(await pnlReport(ledger.storage, { from: summary.from, to: summary.to }));
    expect(await getStoredSummary(ledger.storage, "weekly", "2026-W48")).toEqual(summary);
  });

  it("recomputing a period replaces its stored summary", async () => {
    await dailySummary(ledger.storage, "2026-11-25", utc("2026-11-25T23:55:00Z"));
    await recordBet(
      ledger.storage,
      bet({ agentId: A, stake: 50_000, won: false, placedAt: utc("2026-11-25T23:56:00Z") }),
    );
    const later = await dailySummary(ledger.storage, "2026-11-25", utc("2026-11-26T01:00:00Z"));
    const stored = await getStoredSummary(ledger.storage, "daily", "2026-11-25");
    expect(stored?.computedAt).toBe(later.computedAt);
    expect(stored?.report.totals.bets).toBe(3);
    expect((await listStoredSummaries(ledger.storage, "daily")).map((s) => s.key)).toEqual(["2026-11-25"]);
  });

  it("an unknown period is absent; a malformed key is an input error", async () => {
    expect(await getStoredSummary(ledger.storage, "daily", "2026-01-01")).toBeUndefined();
    await expect(getStoredSummary(ledger.storage, "weekly", "2026-48")).rejects.toThrow(/ISO week/);
    await expect(dailySummary(ledger.storage, "2026-13-01")).rejects.toThrow(/real calendar date/);
    expect(await listStoredSummaries(ledger.storage, "weekly")).toEqual([]);
  });
});
