import { describe, expect, it } from "vitest";
import { DrawdownTracker, roundedMean, SharpeAccumulator } from "../../src/ledger/stats.js";

const sharpeOf = (xs: number[]) => {
  const acc = new SharpeAccumulator();
  for (const x of xs) acc.add(x);
  return acc.ratio();
};

describe("sequence statistics", () => {
  it("Sharpe is mean over sample standard deviation", () => {
    // mean 2, sample variance ((−1)² + 0² + 1²) / 2 = 1
    expect(sharpeOf([1, 2, 3])).toBeCloseTo(2, 15);
    expect(sharpeOf([-4, 0])).toBeCloseTo(-2 / Math.sqrt(8), 15);
  });

  it("Sharpe is null for fewer than two values or no variance", () => {
    expect(sharpeOf([])).toBeNull();
    expect(sharpeOf([5])).toBeNull();
    expect(sharpeOf([7, 7, 7])).toBeNull();
  });

  it("Sharpe stays exact where float sums of squares would not", () => {
    // nets of ±$5,000 plus one micro: squares pass 2^53, and the micro must still show
    const big = 5_000_000_000;
    expect(sharpeOf([big + 1, big - 1])).toBeCloseTo(big / Math.SQRT2, 3);
  });

  it("drawdown starts from zero and measures the deepest fall from a running peak", () => {
    const dd = new DrawdownTracker();
    for (const x of [-3, 5, -1, -6, 2, 10, -4]) dd.add(x);
    // cumulative −3, 2 (peak), 1, −5 (fall of 7), −3, 7, 3
    expect(dd.maxDrawdown).toBe(7);
    expect(new DrawdownTracker().maxDrawdown).toBe(0);
  });

  it("rounds means half away from zero, symmetrically", () => {
    expect(roundedMean(5, 2)).toBe(3);
    expect(roundedMean(-5, 2)).toBe(-3);
    expect(roundedMean(-1, 3)).toBe(0);
    expect(Object.is(roundedMean(-1, 3), -0)).toBe(false);
    expect(roundedMean(-1_470_000, 3)).toBe(-490_000);
  });
});
