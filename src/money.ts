/**
 * Money is stored and summed as integer micro-USD (1 USD = 1_000_000). Floats exist only at the wire edge,
 * because the Purple Flea APIs take and return JSON numbers in USD.
 */

export type Micros = number;

export const MICROS_PER_USD = 1_000_000;

/** USD float from the wire → integer micro-USD. Rounds to the nearest micro (server floats carry noise). */
export function usdToMicros(usd: number): Micros {
  if (!Number.isFinite(usd)) throw new RangeError(`amount must be a finite number of USD, got \`${usd}\``);
  const micros = Math.round(usd * MICROS_PER_USD);
  if (!Number.isSafeInteger(micros)) throw new RangeError(`amount is too large: \`${usd}\` USD`);
  return micros;
}

/** Integer micro-USD → USD float for the wire or for display. */
export function microsToUsd(micros: Micros): number {
  return micros / MICROS_PER_USD;
}

/**
 * What the server credits for a bet: the exact product stake × multiplier (the response rounds it to 2 dp).
 * Computed in integers: multipliers have at most 4 decimals, so stake_micros × (mult × 10^4) / 10^4 is exact
 * up to the final rounding to a whole micro.
 */
export function payoutMicros(stake: Micros, multiplier: number): Micros {
  const multBasis = Math.round(multiplier * 10_000);
  return Math.round((stake * multBasis) / 10_000);
}

/** `1234567` → `"1.23"`, `-50000` → `"-0.05"`; exact (integer arithmetic), for reports. */
export function formatUsd(micros: Micros, decimals = 2): string {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 6) {
    throw new RangeError(`decimals must be an integer 0–6, got \`${decimals}\``);
  }
  const units = Math.round(Math.abs(micros) / 10 ** (6 - decimals));
  const digits = String(units).padStart(decimals + 1, "0");
  const whole = digits.slice(0, digits.length - decimals);
  const frac = decimals ? `.${digits.slice(digits.length - decimals)}` : "";
  return `${micros < 0 && units !== 0 ? "-" : ""}${whole}${frac}`;
}
