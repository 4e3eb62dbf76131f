import { z } from "zod";
import { apiGameName } from "../game-names.js";
import type { HttpTransport } from "../http.js";
import { requireRange } from "../input.js";
import type { CasinoClient, KellyLimit } from "../types.js";
import { usd } from "../wire.js";

/** The Kelly cap (purpleflea-api.md §2.4): `max_bet = round2(balance × risk_factor × win_probability)`. */

export const RISK_FACTOR_MIN = 0.1;
export const RISK_FACTOR_MAX = 1;

const limitSchema = z.object({ max_bet: usd, win_probability: z.number().optional() });

/**
 * `limits` is an object keyed by game/scenario in production (`coin_flip`, `dice_over_75`, …); a list of
 * `{game, max_bet}` is accepted too.
 */
const limitsSchema = z.object({
  bankroll: usd,
  risk_factor: z.number(),
  limits: z.union([z.record(z.string(), limitSchema), z.array(limitSchema.extend({ game: z.string() }))]),
});

export function kellyMethods(http: HttpTransport): Pick<CasinoClient, "setRiskFactor" | "kellyLimits"> {
  return {
    async setRiskFactor(key, riskFactor, opts) {
      requireRange("riskFactor", riskFactor, RISK_FACTOR_MIN, RISK_FACTOR_MAX);
      await http.json(
        {
          service: "casino",
          method: "PUT",
          path: "/kelly/config",
          key,
          body: { risk_factor: riskFactor },
          effect: "none",
        },
        z.object({}),
        opts,
      );
    },

    async kellyLimits(key, opts) {
      const wire = await http.json(
        { service: "casino", method: "GET", path: "/kelly/limits", key, effect: "none" },
        limitsSchema,
        opts,
      );
      const entries = Array.isArray(wire.limits)
        ? wire.limits.map((l) => [l.game, l] as const)
        : Object.entries(wire.limits);
      const limits = entries.map(
        ([game, l]): KellyLimit => ({
          game: apiGameName(game),
          maxBet: l.max_bet,
          ...(l.win_probability === undefined ? {} : { winProbability: l.win_probability }),
        }),
      );
      return { balance: wire.bankroll, riskFactor: wire.risk_factor, limits };
    },
  };
}
