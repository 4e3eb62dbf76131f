import type { Micros } from "../money.js";

/**
 * Sequence statistics over integer micro-USD values, fed one value at a time so a report reads its bets
 * in a single pass. Sums of squares go in bigint: a $3,000 net is 3e9 micros and its square already passes
 * 2^53, where a float sum would silently lose the low digits.
 */

/**
 * Sharpe ratio = mean / sample standard deviation (n − 1), **not annualised** and with a zero risk-free rate:
 * bets and trading days have no natural year, so the number is the per-bet (or per-day) ratio as is.
 * null with fewer than two values or zero variance (the ratio is undefined there, not infinite).
 */
export class SharpeAccumulator {
  private n = 0n;
  private sum = 0n;
  private sumSquares = 0n;

  add(value: Micros): void {
    const v = BigInt(value);
    this.n += 1n;
    this.sum += v;
    this.sumSquares += v * v;
  }

  ratio(): number | null {
    if (this.n < 2n) return null;
    // mean / sd = (S1/n) / sqrt((n·S2 − S1²) / (n(n−1))) = S1 · sqrt((n−1)/n) / sqrt(n·S2 − S1²);
    // the difference under the root is exact in bigint, so no cancellation error creeps in.
    const spread = this.n * this.sumSquares - this.sum * this.sum;
    if (spread === 0n) return null;
    const n = Number(this.n);
    return (Number(this.sum) * Math.sqrt((n - 1) / n)) / Math.sqrt(Number(spread));
  }
}

/**
 * Largest peak-to-trough fall of the cumulative sum, starting from 0 (so a first losing bet is already a
 * drawdown). Always ≥ 0, and never more than the sum of the negative values.
 */
export class DrawdownTracker {
  private cumulative = 0;
  private peak = 0;
  private worst = 0;

  add(value: Micros): void {
    this.cumulative += value;
    if (this.cumulative > this.peak) this.peak = this.cumulative;
    else if (this.peak - this.cumulative > this.worst) this.worst = this.peak - this.cumulative;
  }

  get maxDrawdown(): Micros {
    return this.worst;
  }
}

/** Integer mean rounded half away from zero, so −2.5 and 2.5 round alike (Math.round would not). */
export function roundedMean(total: Micros, count: number): Micros {
  const magnitude = Math.abs(total);
  const quotient = Math.floor(magnitude / count);
  const remainder = magnitude - quotient * count;
  const rounded = 2 * remainder >= count ? quotient + 1 : quotient;
  return total < 0 && rounded !== 0 ? -rounded : rounded;
}
