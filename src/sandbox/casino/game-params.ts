import type { GameBet, GameName } from "../../purpleflea/fairness.js";
import { HttpError } from "../http/http-error.js";

/** How the engine names games in bet rows, responses, history filters, batch entries and the CSV. */
export const STORED_GAME_NAME: Record<GameName, string> = {
  "coin-flip": "coin_flip",
  dice: "dice",
  crash: "crash",
  multiplier: "multiplier",
};

/** Games the real engine has that the sandbox does not emulate (a batch entry naming one gets an error). */
export const UNEMULATED_GAMES = ["roulette", "custom", "blackjack", "plinko", "slots", "simple_dice", "hilo"];

/**
 * Reads a game's own fields from a request body, validating them the way the engine does (before the amount).
 * With `batchDefaults`, missing fields take the batch endpoint's defaults (heads, over 50, 2×).
 */
export function parseGameBet(game: GameName, body: Record<string, unknown>, batchDefaults = false): GameBet {
  const field = (name: string, fallback: unknown): unknown =>
    batchDefaults && (body[name] === undefined || body[name] === null || body[name] === "") ? fallback : body[name];
  switch (game) {
    case "coin-flip": {
      const side = field("side", "heads");
      if (side !== "heads" && side !== "tails") {
        throw new HttpError(400, "invalid_side", `Side must be 'heads' or 'tails', got ${show(side)}`);
      }
      return { game, side };
    }
    case "dice": {
      const direction = field("direction", "over");
      if (direction !== "over" && direction !== "under") {
        throw new HttpError(400, "invalid_direction", `Direction must be 'over' or 'under', got ${show(direction)}`);
      }
      const threshold = field("threshold", 50);
      if (!isNumberIn(threshold, 1, 99)) {
        throw new HttpError(
          400,
          "invalid_threshold",
          `Threshold must be a number between 1 and 99, got ${show(threshold)}`,
        );
      }
      return { game, direction, threshold };
    }
    case "crash": {
      const cashOutAt = field("cash_out_at", 2);
      if (!isNumberIn(cashOutAt, 1.01, 100)) {
        throw new HttpError(
          400,
          "invalid_cashout",
          `Cash-out multiplier must be a number between 1.01x and 100x, got ${show(cashOutAt)}`,
        );
      }
      return { game, cash_out_at: cashOutAt };
    }
    case "multiplier": {
      const target = field("target_multiplier", 2);
      if (!isNumberIn(target, 1.01, 1000)) {
        throw new HttpError(
          400,
          "invalid_multiplier",
          `Target multiplier must be a number between 1.01x and 1000x, got ${show(target)}`,
        );
      }
      return { game, target_multiplier: target };
    }
  }
}

function isNumberIn(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= min && value <= max;
}

function show(value: unknown): string {
  return value === undefined ? "nothing" : `\`${JSON.stringify(value)}\``;
}
