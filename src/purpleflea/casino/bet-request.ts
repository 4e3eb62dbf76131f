import { FleetError } from "../../errors.js";
import { microsToUsd } from "../../money.js";
import { requireOneOf, requireRange, requireStake, requireText } from "../input.js";
import type { BetRequest, GameName } from "../types.js";

/** The games pf-fleet places, by their API path name (purpleflea-api.md §2.2). */
export const GAMES: readonly GameName[] = ["coin-flip", "dice", "crash", "multiplier"];

/** client seeds are stored with the bet and matched in the export; keep them short and comma-free-safe. */
const MAX_CLIENT_SEED = 128;

/**
 * Validates one bet and returns its JSON body for `POST /games/<game>` (and, with the wire game name
 * added, for one entry of `POST /bets/batch`). Only the fields of the chosen game are sent.
 */
export function betBody(bet: BetRequest, name = "bet"): Record<string, unknown> {
  requireOneOf(`${name}.game`, bet.game, GAMES);
  requireStake(`${name}.amount`, bet.amount);
  requireText(`${name}.clientSeed`, bet.clientSeed, MAX_CLIENT_SEED);
  const common = { amount: microsToUsd(bet.amount), client_seed: bet.clientSeed };
  switch (bet.game) {
    case "coin-flip":
      requireOneOf(`${name}.side`, bet.side, ["heads", "tails"]);
      return { side: bet.side, ...common };
    case "dice":
      requireOneOf(`${name}.direction`, bet.direction, ["over", "under"]);
      requireRange(`${name}.threshold`, bet.threshold, 1, 99);
      return { direction: bet.direction, threshold: bet.threshold, ...common };
    case "crash":
      requireRange(`${name}.cash_out_at`, bet.cash_out_at, 1.01, 100, "×");
      return { cash_out_at: bet.cash_out_at, ...common };
    case "multiplier":
      requireRange(`${name}.target_multiplier`, bet.target_multiplier, 1.01, 1000, "×");
      return { target_multiplier: bet.target_multiplier, ...common };
    default:
      throw new FleetError("INVALID_INPUT", `${name}.game is not supported: \`${(bet as { game: unknown }).game}\``);
  }
}
