import { seedHash, verifyRoll } from "../../purpleflea/fairness.js";
import { isoFromSeconds } from "../clock.js";
import { HttpError } from "../http/http-error.js";
import { json } from "../http/reply.js";
import type { Route } from "../http/router.js";
import { requireAgent } from "./auth.js";
import type { CasinoContext } from "./context.js";

/**
 * `/fairness/seed-hash`, `/fairness/rotate`, `/fairness/verify`, `/fairness/seeds`, `/fairness/audit/:betId`, as the
 * production casino answers them: a seed is shown in plain text once revealed (rotated by request or after
 * BETS_PER_SEED bets), and a bet can be looked up only by its own agent.
 */
export function fairnessRoutes({ world, seeds, bets }: CasinoContext): Route[] {
  return [
    {
      method: "GET",
      path: "/fairness/seed-hash",
      handle(req) {
        const agent = requireAgent(world, req);
        return json({
          server_seed_hash: seeds.active(agent.id).seed_hash,
          note: "This hash commits to a server seed. After seed rotation, the seed is revealed so you can verify all bets made with it.",
        });
      },
    },
    {
      method: "POST",
      path: "/fairness/rotate",
      handle(req) {
        const agent = requireAgent(world, req);
        const active = seeds.findActive(agent.id);
        if (!active) return json({ message: "No active seed to rotate" });
        seeds.rotate(active);
        return json({
          message: "Seed rotated successfully",
          previous_seed: {
            seed: active.seed,
            seed_hash: active.seed_hash,
            bets_made: active.current_nonce,
            note: "This seed is now revealed. You can verify all bets made with it.",
          },
          new_seed_hash: seeds.active(agent.id).seed_hash,
        });
      },
    },
    {
      method: "POST",
      path: "/fairness/verify",
      async handle(req) {
        const agent = requireAgent(world, req);
        const body = await req.json();
        if (body.bet_id) return verifyBet(agent.id, String(body.bet_id));
        const { server_seed, server_seed_hash, client_seed, nonce } = body;
        const nonceValue = typeof nonce === "string" && /^\d+$/.test(nonce) ? Number(nonce) : nonce;
        if (
          typeof server_seed !== "string" ||
          typeof server_seed_hash !== "string" ||
          typeof client_seed !== "string" ||
          typeof nonceValue !== "number" ||
          !Number.isSafeInteger(nonceValue) ||
          nonceValue < 0
        ) {
          throw new HttpError(
            400,
            "missing_params",
            "Provide bet_id OR (server_seed, server_seed_hash, client_seed, nonce as a non-negative integer)",
          );
        }
        const valid = seedHash(server_seed) === server_seed_hash;
        const { roll, resultHash } = verifyRoll(server_seed, client_seed, nonceValue);
        return json({ verified: valid, result: roll, result_hash: resultHash, hash_matches: valid });
      },
    },
    {
      method: "GET",
      path: "/fairness/seeds",
      handle(req) {
        const agent = requireAgent(world, req);
        return json({
          seeds: seeds.list(agent.id).map((s) => ({
            id: s.id,
            seed_hash: s.seed_hash,
            seed: s.revealed_at !== null ? s.seed : "[active - not yet revealed]",
            active: s.active === 1,
            bets_made: s.current_nonce,
            revealed_at: s.revealed_at !== null ? isoFromSeconds(s.revealed_at) : null,
            created_at: isoFromSeconds(s.created_at),
          })),
        });
      },
    },
    {
      method: "GET",
      path: "/fairness/audit/:betId",
      handle(req) {
        const agent = requireAgent(world, req);
        const bet = bets.byId(req.params.betId ?? "");
        if (!bet) return json({ error: "bet_not_found" }, 404);
        if (bet.agent_id !== agent.id) {
          throw new HttpError(403, "forbidden", "You can only audit your own bets");
        }
        const seed = seeds.byHash(bet.server_seed_hash);
        const revealedAt = seed?.revealed_at ?? null;
        return json({
          bet_id: bet.id,
          game: bet.game,
          amount: bet.amount,
          payout_multiplier: bet.payout_multiplier,
          won: bet.won === 1,
          amount_won: bet.amount_won,
          result: JSON.parse(bet.result) as unknown,
          fairness: {
            server_seed_hash: bet.server_seed_hash,
            server_seed: revealedAt !== null ? bet.server_seed : "[hidden until seed rotation]",
            client_seed: bet.client_seed,
            nonce: bet.nonce,
            result_hash: bet.result_hash,
            seed_revealed: revealedAt !== null,
            seed_revealed_at: revealedAt !== null ? isoFromSeconds(revealedAt) : null,
          },
          timestamp: isoFromSeconds(bet.created_at),
        });
      },
    },
  ];

  function verifyBet(agentId: string, betId: string) {
    const bet = bets.byId(betId);
    // the production route looks the bet up among the caller's own only
    if (!bet || bet.agent_id !== agentId) throw new HttpError(404, "bet_not_found", `No bet found with id: ${betId}`);
    const seed = seeds.byHash(bet.server_seed_hash);
    if (!seed || seed.revealed_at === null) {
      return json({
        bet_id: bet.id,
        status: "seed_not_yet_revealed",
        server_seed_hash: bet.server_seed_hash,
        client_seed: bet.client_seed,
        nonce: bet.nonce,
        result_hash: bet.result_hash,
        message: "Server seed will be revealed when it rotates (every 1000 bets or on request).",
        note: "Request seed rotation via POST /api/v1/fairness/rotate to reveal the seed now.",
      });
    }
    const valid = seedHash(bet.server_seed) === bet.server_seed_hash;
    const { roll, resultHash } = verifyRoll(bet.server_seed, bet.client_seed, bet.nonce);
    return json({
      bet_id: bet.id,
      status: "verified",
      verified: valid && resultHash === bet.result_hash,
      game: bet.game,
      result: JSON.parse(bet.result) as unknown,
      won: bet.won === 1,
      amount_bet: bet.amount,
      amount_won: bet.amount_won,
      proof: {
        server_seed: bet.server_seed,
        server_seed_hash: bet.server_seed_hash,
        client_seed: bet.client_seed,
        nonce: bet.nonce,
        result_hash: bet.result_hash,
        computed_result: roll,
        hash_matches: valid,
      },
    });
  }
}
