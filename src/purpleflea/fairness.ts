import { createHash, createHmac } from "node:crypto";

/**
 * Purple Flea's provably-fair scheme and game maths (purpleflea-api.md §2.3), shared by the sandbox (which
 * must produce exactly what the real engine does) and by the client-side verifier (which checks it).
 * Pure functions only.
 */

export const HOUSE_EDGE = 0.005;
export const COIN_FLIP_MULTIPLIER = 1.99;
/** The seed rotates after this many bets. */
export const BETS_PER_SEED = 1000;

export const round2 = (x: number): number => Math.round(x * 100) / 100;
export const round4 = (x: number): number => Math.round(x * 10_000) / 10_000;

/** The public commitment to a server seed: SHA-256 of the 64-char hex string, as text. */
export function seedHash(serverSeed: string): string {
  return createHash("sha256").update(serverSeed, "utf8").digest("hex");
}

export interface Roll {
  /** 0.00–99.99 in steps of 0.01 */
  roll: number;
  /** full HMAC hex, the bet's `proof.result_hash` */
  resultHash: string;
}

/** roll = (first 8 hex of HMAC_SHA256(key = seed text, msg = "client_seed:nonce")) mod 10000 / 100 */
export function verifyRoll(serverSeed: string, clientSeed: string, nonce: number): Roll {
  const resultHash = createHmac("sha256", serverSeed).update(`${clientSeed}:${nonce}`).digest("hex");
  const roll = (Number.parseInt(resultHash.slice(0, 8), 16) % 10_000) / 100;
  return { roll, resultHash };
}

export type CoinSide = "heads" | "tails";
export type DiceDirection = "over" | "under";

export type GameBet =
  | { game: "coin-flip"; side: CoinSide }
  | { game: "dice"; direction: DiceDirection; threshold: number }
  | { game: "crash"; cash_out_at: number }
  | { game: "multiplier"; target_multiplier: number };

export type GameName = GameBet["game"];

export interface GameOutcome {
  won: boolean;
  /** what a win pays, as total return per unit staked */
  payoutMultiplier: number;
  /** the game-specific `result` object of the response (without `roll`) */
  result: Record<string, unknown>;
}

export function crashPoint(roll: number): number {
  return roll >= 99.99 ? 10_000 : round2(0.995 / (1 - roll / 100));
}

/** Dice pricing uses p = (100−t)/100 for over and t/100 for under (the real engine's asymmetry). */
export function diceMultiplier(direction: DiceDirection, threshold: number): number {
  const p = direction === "over" ? (100 - threshold) / 100 : threshold / 100;
  return round4((1 / p) * (1 - HOUSE_EDGE));
}

/** Settles one bet from its roll, exactly as the real engine does. */
export function settle(bet: GameBet, roll: number): GameOutcome {
  switch (bet.game) {
    case "coin-flip": {
      const outcome: CoinSide = roll < 50 ? "heads" : "tails";
      return { won: outcome === bet.side, payoutMultiplier: COIN_FLIP_MULTIPLIER, result: { outcome, side: bet.side } };
    }
    case "dice": {
      const diceValue = Math.floor(roll) + 1;
      const won = bet.direction === "over" ? diceValue > bet.threshold : diceValue < bet.threshold;
      return {
        won,
        payoutMultiplier: diceMultiplier(bet.direction, bet.threshold),
        result: { dice_value: diceValue, direction: bet.direction, threshold: bet.threshold },
      };
    }
    case "crash": {
      const crash = crashPoint(roll);
      return {
        won: crash >= bet.cash_out_at,
        payoutMultiplier: bet.cash_out_at,
        result: { crash_point: crash, cash_out_at: bet.cash_out_at },
      };
    }
    case "multiplier": {
      const crash = crashPoint(roll);
      return {
        won: crash >= bet.target_multiplier,
        payoutMultiplier: bet.target_multiplier,
        result: { crash_point: crash, target_multiplier: bet.target_multiplier },
      };
    }
  }
}

/**
 * The win probability the engine uses in its Kelly cap (the nominal one, as priced): coin flip ½, dice the
 * pricing p, crash-style 0.995 / target.
 */
export function nominalWinProbability(bet: GameBet): number {
  switch (bet.game) {
    case "coin-flip":
      return 0.5;
    case "dice":
      return bet.direction === "over" ? (100 - bet.threshold) / 100 : bet.threshold / 100;
    case "crash":
      return (1 - HOUSE_EDGE) / bet.cash_out_at;
    case "multiplier":
      return (1 - HOUSE_EDGE) / bet.target_multiplier;
  }
}

/** The true chance of winning, computed over all 10,000 equally likely rolls (for EV and house-edge plans). */
export function exactWinProbability(bet: GameBet): number {
  let wins = 0;
  for (let i = 0; i < 10_000; i++) if (settle(bet, i / 100).won) wins++;
  return wins / 10_000;
}

/** Kelly "entertainment" cap: round2(balance × risk_factor × win_probability). */
export function kellyMaxBet(balanceUsd: number, riskFactor: number, bet: GameBet): number {
  return round2(balanceUsd * riskFactor * nominalWinProbability(bet));
}
