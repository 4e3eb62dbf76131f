import {
  type GameBet,
  kellyMaxBet,
  nominalWinProbability,
  round2,
  round4,
  settle,
  verifyRoll,
} from "../../purpleflea/fairness.js";
import { HttpError } from "../http/http-error.js";
import { newBetId } from "../ids.js";
import type { SandboxWorld } from "../world.js";
import type { CasinoAgent } from "./agents.js";
import type { BetStore } from "./bet-store.js";
import { STORED_GAME_NAME } from "./game-params.js";
import { kellyInfo } from "./kelly-info.js";
import type { SeedStore } from "./seeds.js";

const MIN_BET_USD = 0.01;
/** Share of a lost stake paid by the house to referrers, by level (10%, 5%, 2.5%). */
const REFERRAL_RATES = [0.1, 0.05, 0.025];

/**
 * Places and settles one bet the way the real engine does: amount checks in the real order (invalid_amount,
 * minimum_bet, insufficient_balance, kelly_limit_exceeded), then the provably-fair roll from the agent's
 * server seed, client seed and nonce, settled by `settle` from src/purpleflea/fairness.ts. The balance loses
 * the stake and gains the EXACT stake × multiplier on a win; only the response rounds (to 2 dp).
 */
export class BetEngine {
  constructor(
    private readonly world: SandboxWorld,
    private readonly seeds: SeedStore,
    private readonly bets: BetStore,
  ) {}

  place(agentId: string, bet: GameBet, amount: unknown, clientSeedInput: unknown): Record<string, unknown> {
    const agent = this.world.agents.byId(agentId) as CasinoAgent;
    const stake = checkStake(agent, bet, amount);
    const clientSeed = clientSeedOf(clientSeedInput, this.world.clock.now());
    const settled = this.world.db.transaction(() => this.#settle(agent, bet, stake, clientSeed))();
    this.world.stats.betSettled();
    return settled;
  }

  #settle(agent: CasinoAgent, bet: GameBet, stake: number, clientSeed: string): Record<string, unknown> {
    const { ledger, agents, clock } = this.world;
    const seed = this.seeds.active(agent.id);
    const nonce = this.seeds.takeNonce(seed);
    const { roll, resultHash } = verifyRoll(seed.seed, clientSeed, nonce);
    const outcome = settle(bet, roll);
    const amountWon = outcome.won ? stake * outcome.payoutMultiplier : 0;

    const betId = newBetId();
    ledger.takeStake(agent.id, stake, betId);
    if (amountWon > 0) ledger.payReturn(agent.id, amountWon, betId);
    agents.addPlay(agent.id, stake, amountWon);

    const game = STORED_GAME_NAME[bet.game];
    const result = { ...outcome.result, ...engineExtras(bet, outcome.won), roll: round2(roll) };
    this.bets.insert({
      id: betId,
      agent_id: agent.id,
      game,
      amount: stake,
      payout_multiplier: outcome.payoutMultiplier,
      result: JSON.stringify(result),
      won: outcome.won ? 1 : 0,
      amount_won: amountWon,
      server_seed: seed.seed,
      server_seed_hash: seed.seed_hash,
      client_seed: clientSeed,
      nonce,
      result_hash: resultHash,
      created_at: clock.nowSeconds(),
    });
    if (!outcome.won) this.#payReferrers(agent, stake, betId);

    const newBalance = ledger.balance(agent.id) as number;
    const kelly = kellyInfo(newBalance, agent.risk_factor, nominalWinProbability(bet), outcome.payoutMultiplier);
    return {
      bet_id: betId,
      game,
      amount_bet: stake,
      result,
      won: outcome.won,
      payout_multiplier: outcome.payoutMultiplier,
      amount_won: round2(amountWon),
      new_balance: round2(newBalance),
      proof: { server_seed_hash: seed.seed_hash, client_seed: clientSeed, nonce, result_hash: resultHash },
      kelly: {
        bankroll: round2(newBalance),
        risk_factor: agent.risk_factor,
        max_bet_this_game: kelly.max_bet,
        bets_until_ruin: kelly.bets_until_ruin,
        suggested_bet: kelly.suggested_bet,
      },
    };
  }

  /** The house pays up to three referrer levels a share of each lost stake, as casino ledger credits. */
  #payReferrers(bettor: CasinoAgent, stake: number, betId: string): void {
    let referrerId = bettor.referred_by;
    for (let level = 0; level < REFERRAL_RATES.length && referrerId; level++) {
      const commission = round2(stake * (REFERRAL_RATES[level] as number));
      if (commission >= 0.01) {
        this.world.ledger.credit(referrerId, commission, {
          reason: `referral_commission_l${level + 1}:${betId}`,
          service: "casino",
        });
      }
      referrerId = this.world.agents.byId(referrerId)?.referred_by ?? null;
    }
  }
}

function checkStake(agent: CasinoAgent, bet: GameBet, amount: unknown): number {
  if (typeof amount !== "number" || !Number.isFinite(amount) || amount <= 0) {
    throw new HttpError(
      400,
      "invalid_amount",
      `Bet amount must be a positive finite JSON number of USD, got \`${JSON.stringify(amount) ?? "nothing"}\``,
    );
  }
  if (amount < MIN_BET_USD) {
    throw new HttpError(400, "minimum_bet", `Minimum bet is $0.01, got $${amount}`);
  }
  const balance = agent.balance_usd;
  if (balance < amount) {
    throw new HttpError(
      400,
      "insufficient_balance",
      `Balance $${balance.toFixed(2)} is less than bet $${amount.toFixed(2)}`,
      { required: amount, suggestion: `Deposit at least $${(amount - balance).toFixed(2)} or reduce bet size` },
    );
  }
  const maxBet = kellyMaxBet(balance, agent.risk_factor, bet);
  if (amount > maxBet) {
    // A game's multiplier does not depend on the roll, so any roll gives it.
    const payout = settle(bet, 0).payoutMultiplier;
    const kelly = kellyInfo(balance, agent.risk_factor, nominalWinProbability(bet), payout);
    throw new HttpError(
      400,
      "kelly_limit_exceeded",
      `Bet $${amount.toFixed(2)} exceeds Kelly limit of $${maxBet.toFixed(2)}`,
      {
        max_bet: maxBet,
        suggestion: `Reduce bet to $${maxBet.toFixed(2)} or lower. Kelly protects your bankroll from ruin.`,
        kelly: { ...kelly, max_bet: maxBet },
      },
    );
  }
  return amount;
}

/** The caller's seed when it gave one (any non-empty string or number), else `auto_<ms>`. */
function clientSeedOf(input: unknown, nowMs: number): string {
  if (typeof input === "string" && input !== "") return input;
  if (typeof input === "number" && Number.isFinite(input)) return String(input);
  return `auto_${nowMs}`;
}

/** Result fields the real engine adds beyond `settle`'s own. */
function engineExtras(bet: GameBet, won: boolean): Record<string, unknown> {
  const winProbability = round4(nominalWinProbability(bet));
  switch (bet.game) {
    case "coin-flip":
      return { side_chosen: bet.side };
    case "dice":
      return { win_probability: winProbability };
    case "crash":
      return { cashed_out: won, win_probability: winProbability };
    case "multiplier":
      return { win_probability: winProbability };
  }
}
