import type { GameName } from "../../purpleflea/fairness.js";
import { round2 } from "../../purpleflea/fairness.js";
import { HttpError } from "../http/http-error.js";
import { json } from "../http/reply.js";
import type { Route } from "../http/router.js";
import { enforceAgentLimit } from "../world.js";
import { requireAgent } from "./auth.js";
import type { CasinoContext } from "./context.js";
import { parseGameBet, UNEMULATED_GAMES } from "./game-params.js";

const MAX_BETS_PER_BATCH = 20;

/** Batch entries name games the engine's way (`coin_flip`, …). */
const BATCH_GAMES: Record<string, GameName> = {
  coin_flip: "coin-flip",
  dice: "dice",
  crash: "crash",
  multiplier: "multiplier",
};

/** `POST /bets/batch`: up to 20 bets, each settled (or refused) on its own, in order. */
export function batchRoutes({ world, engine }: CasinoContext): Route[] {
  function playEntry(agentId: string, entry: unknown): Record<string, unknown> {
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      return { error: "invalid_bet", message: `Each bet must be an object, got \`${JSON.stringify(entry)}\`` };
    }
    const fields = entry as Record<string, unknown>;
    const game = typeof fields.game === "string" ? BATCH_GAMES[fields.game] : undefined;
    if (game === undefined) {
      const name = String(fields.game);
      return UNEMULATED_GAMES.includes(name)
        ? {
            error: "unsupported_game",
            message: `${name} is not emulated by the sandbox; use coin_flip, dice, crash or multiplier`,
          }
        : { error: "unknown_game", message: `Unknown game: ${name}` };
    }
    try {
      return engine.place(agentId, parseGameBet(game, fields, true), fields.amount, fields.client_seed);
    } catch (err) {
      if (err instanceof HttpError) return err.body();
      throw err;
    }
  }

  return [
    {
      method: "POST",
      path: "/bets/batch",
      money: true,
      ipLimit: { name: "bets-ip", max: 60 },
      async handle(req) {
        const agent = requireAgent(world, req);
        enforceAgentLimit(world, agent.id, "batch", 10, "Max 10 batch calls/min");
        const { bets } = await req.json();
        if (!Array.isArray(bets) || bets.length === 0) {
          throw new HttpError(400, "invalid_bets", "Provide a non-empty array of bets");
        }
        if (bets.length > MAX_BETS_PER_BATCH) {
          throw new HttpError(400, "too_many_bets", `Maximum 20 bets per batch call, got ${bets.length}`);
        }
        // Bets settle one by one; a server that dies mid-call (the `partial` fault) has settled only the first ones.
        const played = req.partial ? bets.slice(0, Math.ceil(bets.length / 2)) : bets;
        const results = played.map((entry) => playEntry(agent.id, entry));
        const settled = results.filter((r) => !("error" in r));
        const won = settled.filter((r) => r.won === true).length;
        const lost = settled.length - won;
        const totalWon = settled.reduce((sum, r) => sum + (r.amount_won as number), 0);
        const after = world.agents.byId(agent.id);
        const balance = after?.balance_usd ?? 0;
        return json({
          results,
          summary: {
            total: bets.length,
            won,
            lost,
            errors: results.length - settled.length,
            // The engine sums a field its results do not have, so this is always 0 in production too.
            total_wagered: 0,
            total_won: round2(totalWon),
            net_pnl: round2(totalWon),
            win_rate_pct: won + lost > 0 ? Math.round((won / (won + lost)) * 10_000) / 100 : 0,
          },
          balance_after: round2(balance),
          kelly_max_next_bet: round2(balance * (after?.risk_factor ?? 0.25)),
        });
      },
    },
  ];
}
