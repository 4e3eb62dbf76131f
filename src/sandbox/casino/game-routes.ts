import type { GameName } from "../../purpleflea/fairness.js";
import { json } from "../http/reply.js";
import type { Route } from "../http/router.js";
import { enforceAgentLimit } from "../world.js";
import { requireAgent } from "./auth.js";
import type { CasinoContext } from "./context.js";
import { parseGameBet } from "./game-params.js";

const GAMES: readonly GameName[] = ["coin-flip", "dice", "crash", "multiplier"];

/** `POST /games/<game>`: per-IP limiter, auth, per-agent limiter, body, game fields, then the bet. */
export function gameRoutes({ world, engine }: CasinoContext): Route[] {
  return GAMES.map(
    (game): Route => ({
      method: "POST",
      path: `/games/${game}`,
      money: true,
      ipLimit: { name: "games-ip", max: 60 },
      async handle(req) {
        const agent = requireAgent(world, req);
        enforceAgentLimit(world, agent.id, "games", 60, "Max 60 game requests/min");
        const body = await req.json();
        const bet = parseGameBet(game, body);
        return json(engine.place(agent.id, bet, body.amount, body.client_seed));
      },
    }),
  );
}
