import { z } from "zod";
import { payoutMicros } from "../../money.js";
import type { BetReceipt, GameName } from "../types.js";
import { usd } from "../wire.js";

/** The success body every game returns (purpleflea-api.md §2.2), also each settled entry of a batch. */
export const betResultSchema = z.object({
  bet_id: z.string().min(1),
  amount_bet: usd,
  won: z.boolean(),
  payout_multiplier: z.number().nonnegative(),
  new_balance: usd,
  result: z.looseObject({ roll: z.number() }),
  proof: z.object({
    server_seed_hash: z.string(),
    client_seed: z.string(),
    nonce: z.number().int().nonnegative(),
    result_hash: z.string(),
  }),
  kelly: z.object({ bankroll: z.number(), risk_factor: z.number(), max_bet_this_game: z.number() }).optional(),
});

export type BetResultWire = z.infer<typeof betResultSchema>;

/**
 * The receipt of a settled bet. `payout` is the exact credit stake × multiplier (the response's
 * `amount_won` is rounded to 2 dp, the ledger is not; §11), so PnL built from receipts matches the balance.
 */
export function toReceipt(game: GameName, wire: BetResultWire): BetReceipt {
  const stake = wire.amount_bet;
  const payout = wire.won ? payoutMicros(stake, wire.payout_multiplier) : 0;
  const { roll, ...result } = wire.result;
  return {
    betId: wire.bet_id,
    game,
    stake,
    won: wire.won,
    payoutMultiplier: wire.payout_multiplier,
    payout,
    net: payout - stake,
    newBalanceRounded: wire.new_balance,
    roll,
    result,
    proof: {
      serverSeedHash: wire.proof.server_seed_hash,
      clientSeed: wire.proof.client_seed,
      nonce: wire.proof.nonce,
      resultHash: wire.proof.result_hash,
    },
    ...(wire.kelly
      ? {
          kelly: {
            bankroll: wire.kelly.bankroll,
            riskFactor: wire.kelly.risk_factor,
            maxBetThisGame: wire.kelly.max_bet_this_game,
          },
        }
      : {}),
  };
}
