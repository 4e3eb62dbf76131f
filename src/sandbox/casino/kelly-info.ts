import { round2, round4 } from "../../purpleflea/fairness.js";

/** The engine's Kelly report, as bets, caps and `/kelly/*` return it. */
export interface KellyInfo {
  max_bet: number;
  kelly_fraction: number;
  adjusted_fraction: number;
  edge: number;
  expected_value_per_bet: number;
  /** null where the engine's value is Infinity (a zero cap) */
  bets_until_ruin: number | null;
  suggested_bet: number;
  growth_rate: number;
}

/**
 * Every game has a negative edge, so the engine always takes its "entertainment" branch:
 * max_bet = round2(bankroll × risk_factor × p), suggested = half of it. Same formula as `kellyMaxBet`.
 */
export function kellyInfo(bankroll: number, riskFactor: number, winProbability: number, payout: number): KellyInfo {
  const p = winProbability;
  const b = payout - 1;
  const fraction = riskFactor * p;
  const maxBet = bankroll * fraction;
  const suggested = maxBet * 0.5;
  const edge = p * payout - 1;
  return {
    max_bet: round2(maxBet),
    kelly_fraction: round4((b * p - (1 - p)) / b),
    adjusted_fraction: round4(fraction),
    edge: round4(edge),
    expected_value_per_bet: round4(suggested * edge),
    bets_until_ruin: maxBet > 0 ? Math.floor(bankroll / maxBet) : null,
    suggested_bet: round2(suggested),
    growth_rate: round4(p * Math.log(1 + fraction * b) + (1 - p) * Math.log(1 - fraction)),
  };
}

/** `GET /kelly/limits`: the engine's fixed table of reference bets. */
export function kellyLimits(bankroll: number, riskFactor: number): Record<string, unknown> {
  const at = (p: number, payout: number) => kellyInfo(bankroll, riskFactor, p, payout);
  return {
    bankroll,
    risk_factor: riskFactor,
    limits: {
      coin_flip: at(0.5, 1.99),
      dice_over_50: at(0.5, 1.99),
      dice_over_75: at(0.25, 3.98),
      dice_over_90: at(0.1, 9.95),
      dice_over_95: at(0.05, 19.9),
      custom_25pct: at(0.25, 3.98),
      custom_50pct: at(0.5, 1.99),
      custom_75pct: at(0.75, 1.3267),
      roulette_red: at(18 / 37, 1.99),
      roulette_number: at(1 / 37, 34.825),
    },
  };
}
