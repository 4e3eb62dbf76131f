import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import { betPnl, localBalance, periodRange, pnlReport } from "../../src/ledger/index.js";
import { A, B, BETS, loadFixture, WINDOW } from "./fixture.js";
import { tempLedger } from "./helpers.js";

/** Sample Sharpe by the textbook formula, in plain floating point: the independent check of the code's maths. */
function sharpe(xs: number[]): number {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1);
  return mean / Math.sqrt(variance);
}

const trade = (b: { clientSeed: string; betId: string }, net: number) => ({
  clientSeed: b.clientSeed,
  betId: b.betId,
  net,
});

let ledger: ReturnType<typeof tempLedger>;
beforeEach(async () => {
  ledger = tempLedger();
  await loadFixture(ledger.storage);
});
afterEach(() => ledger.close());

describe("pnlReport over the hand-worked three-day fixture", () => {
  // nets in time order: +990000 −500000 +745000 −2000000 −1000000 +298000 +297000 −300000
  it("totals: counts, win rate, wagered, returned, PnL, best and worst trade", async () => {
    const r = await pnlReport(ledger.storage, WINDOW);
    expect(r.from).toBe(WINDOW.from);
    expect(r.to).toBe(WINDOW.to);
    expect(r.totals).toEqual({
      bets: 8,
      wins: 4,
      losses: 4,
      winRate: 0.5,
      wagered: 1_000_000 + 500_000 + 250_000 + 2_000_000 + 1_000_000 + 100_000 + 300_000 + 300_000,
      returned: 1_990_000 + 995_000 + 398_000 + 597_000,
      pnl: -1_470_000,
      best: trade(BETS.b1, 990_000),
      worst: trade(BETS.b4, -2_000_000),
    });
  });

  it("splits by game and by agent, and the splits add up to the totals", async () => {
    const r = await pnlReport(ledger.storage, WINDOW);
    expect(r.byGame).toEqual({
      "coin-flip": {
        bets: 5,
        wins: 2,
        losses: 3,
        winRate: 2 / 5,
        wagered: 4_600_000,
        returned: 2_587_000,
        pnl: -2_013_000,
        best: trade(BETS.b1, 990_000),
        worst: trade(BETS.b4, -2_000_000),
      },
      dice: {
        bets: 3,
        wins: 2,
        losses: 1,
        winRate: 2 / 3,
        wagered: 850_000,
        returned: 1_393_000,
        pnl: 543_000,
        best: trade(BETS.b3, 745_000),
        worst: trade(BETS.b2, -500_000),
      },
    });
    expect(r.byAgent).toEqual({
      [A]: {
        bets: 4,
        wins: 3,
        losses: 1,
        winRate: 3 / 4,
        wagered: 3_550_000,
        returned: 3_582_000,
        pnl: 32_000,
        best: trade(BETS.b1, 990_000),
        worst: trade(BETS.b4, -2_000_000),
      },
      [B]: {
        bets: 4,
        wins: 1,
        losses: 3,
        winRate: 1 / 4,
        wagered: 1_900_000,
        returned: 398_000,
        pnl: -1_502_000,
        best: trade(BETS.b6, 298_000),
        worst: trade(BETS.b5, -1_000_000),
      },
    });
  });

  it("per-UTC-day PnL with average, best and worst day", async () => {
    const r = await pnlReport(ledger.storage, WINDOW);
    expect(r.days).toEqual([
      { date: "2026-11-23", pnl: 990_000 - 500_000 + 745_000, bets: 3 },
      { date: "2026-11-24", pnl: -2_000_000 - 1_000_000 + 298_000, bets: 3 },
      // b8 at 23:59:59.999 still belongs to the 25th
      { date: "2026-11-25", pnl: 297_000 - 300_000, bets: 2 },
    ]);
    expect(r.averageDailyPnl).toBe(-1_470_000 / 3);
    expect(r.bestDay).toEqual({ date: "2026-11-23", pnl: 1_235_000, bets: 3 });
    expect(r.worstDay).toEqual({ date: "2026-11-24", pnl: -2_702_000, bets: 3 });
  });

  it("Sharpe of per-bet nets and of daily PnL (mean / sample stdev), and max drawdown", async () => {
    const r = await pnlReport(ledger.storage, WINDOW);
    const nets = [990_000, -500_000, 745_000, -2_000_000, -1_000_000, 298_000, 297_000, -300_000];
    expect(r.sharpePerBet).toBeCloseTo(sharpe(nets), 12);
    expect(r.sharpeDaily).toBeCloseTo(sharpe([1_235_000, -2_702_000, -3_000]), 12);
    // cumulative: 990000, 490000, 1235000 (peak), −765000, −1765000 (trough), …
    expect(r.maxDrawdown).toBe(1_235_000 - -1_765_000);
  });

  it("fees, faucet income and net change count movements in the window only", async () => {
    const r = await pnlReport(ledger.storage, WINDOW);
    expect(r.escrowFees).toBe(10_000);
    expect(r.faucetIncome).toBe(1_000_000);
    // movements: +10,000,000 opening +1,000,000 faucet −1,000,000 lock +990,000 release −200,000 +200,000;
    // the deposit at exactly `to` is outside
    expect(r.netChange).toBe(10_990_000 - 1_470_000);
  });

  it("filters by agent", async () => {
    const r = await pnlReport(ledger.storage, { ...WINDOW, agentIds: [B] });
    expect(r.totals.bets).toBe(4);
    expect(r.totals.pnl).toBe(-1_502_000);
    expect(Object.keys(r.byAgent)).toEqual([B]);
    expect(r.faucetIncome).toBe(1_000_000);
    expect(r.escrowFees).toBe(0);
    expect(r.netChange).toBe(1_000_000 + 990_000 + 200_000 - 1_502_000);
    expect(r.days.map((d) => d.pnl)).toEqual([-500_000, -1_000_000 + 298_000, -300_000]);
  });

  it("without a window, covers every row, matching the agents' local balances", async () => {
    const r = await pnlReport(ledger.storage);
    expect(r.from).toBeNull();
    expect(r.totals.bets).toBe(9);
    expect(r.totals.pnl).toBe(-1_470_000 - 100_000);
    expect(r.netChange).toBe((await localBalance(ledger.storage, A)) + (await localBalance(ledger.storage, B)));
    expect(await localBalance(ledger.storage, A)).toBe(10_000_000 - 1_000_000 - 200_000 + 5_000_000 + 32_000 - 100_000);
  });

  it("betPnl gives an agent's realised PnL for a day without building a report", async () => {
    const day = periodRange("day", { date: "2026-11-24", now: 0 });
    expect(await betPnl(ledger.storage, { ...day, agentIds: [A] })).toBe(-2_000_000);
    expect(await betPnl(ledger.storage, { ...day, agentIds: [B] })).toBe(-1_000_000 + 298_000);
    expect(await betPnl(ledger.storage, { from: Date.UTC(2030, 0, 1) })).toBe(0);
  });

  it("an empty window gives zeros and nulls, not errors", async () => {
    const r = await pnlReport(ledger.storage, { from: Date.UTC(2030, 0, 1), to: Date.UTC(2030, 0, 2) });
    expect(r.totals).toEqual({
      bets: 0,
      wins: 0,
      losses: 0,
      winRate: null,
      wagered: 0,
      returned: 0,
      pnl: 0,
      best: null,
      worst: null,
    });
    expect(r.byGame).toEqual({});
    expect(r.days).toEqual([]);
    expect(r.averageDailyPnl).toBeNull();
    expect(r.bestDay).toBeNull();
    expect(r.sharpePerBet).toBeNull();
    expect(r.sharpeDaily).toBeNull();
    expect(r.maxDrawdown).toBe(0);
    expect(r.netChange).toBe(0);
  });

  it("a single trading day gives a null daily Sharpe instead of a division by zero", async () => {
    const r = await pnlReport(ledger.storage, { from: Date.UTC(2026, 10, 25), to: Date.UTC(2026, 10, 26) });
    expect(r.days).toHaveLength(1);
    expect(r.sharpeDaily).toBeNull();
    expect(r.sharpePerBet).toBeCloseTo(sharpe([297_000, -300_000]), 12);
  });

  it("rejects a window that ends before it starts", async () => {
    await expect(pnlReport(ledger.storage, { from: WINDOW.to, to: WINDOW.from })).rejects.toThrow(FleetError);
    await expect(pnlReport(ledger.storage, { from: 1.5 })).rejects.toThrow(/from must be a time in whole ms/);
  });
});
