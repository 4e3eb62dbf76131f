import { z } from "zod";
import { FleetError } from "../../errors.js";
import type { HttpTransport } from "../http.js";
import { requireText } from "../input.js";
import type { CasinoClient } from "../types.js";

/** The provably-fair seed commitments (purpleflea-api.md §2.3): read, rotate (reveal), verify. */

const seedHashSchema = z.object({
  server_seed_hash: z.string().min(1),
  nonce: z.number().int().nonnegative().optional(),
});

const seedsSchema = z.object({
  seeds: z.array(z.object({ seed_hash: z.string(), active: z.boolean(), bets_made: z.number().int().nonnegative() })),
});

const rotateSchema = z.object({
  previous_seed: z.object({ seed: z.string().min(1), seed_hash: z.string() }).optional(),
  new_seed_hash: z.string().optional(),
});

export function seedMethods(http: HttpTransport): Pick<CasinoClient, "seedHash" | "rotateSeed" | "verifyBet"> {
  return {
    /** `nonce` is the one the next bet will use (= bets already made with this seed). */
    async seedHash(key, opts) {
      const wire = await http.json(
        { service: "casino", method: "GET", path: "/fairness/seed-hash", key, effect: "none" },
        seedHashSchema,
        opts,
      );
      if (wire.nonce !== undefined) return { serverSeedHash: wire.server_seed_hash, nonce: wire.nonce };
      // The production route omits the nonce; the seed list carries it as the active seed's bets_made.
      const { seeds } = await http.json(
        { service: "casino", method: "GET", path: "/fairness/seeds", key, effect: "none" },
        seedsSchema,
        opts,
      );
      const active = seeds.find((s) => s.active && s.seed_hash === wire.server_seed_hash);
      if (!active) {
        throw new FleetError(
          "UPSTREAM_UNAVAILABLE",
          "casino GET /fairness/seeds does not list the active seed it just committed to; the seed may have rotated",
          { kind: "retryable", hint: "read the seed hash again" },
        );
      }
      return { serverSeedHash: wire.server_seed_hash, nonce: active.bets_made };
    },

    async rotateSeed(key, opts) {
      const wire = await http.json(
        { service: "casino", method: "POST", path: "/fairness/rotate", key, effect: "none" },
        rotateSchema,
        opts,
      );
      if (!wire.previous_seed || wire.new_seed_hash === undefined) {
        throw new FleetError(
          "CONFLICT",
          "casino POST /fairness/rotate: the agent has no active server seed to rotate",
          {
            hint: "a seed exists once the agent has bet or read its seed hash",
          },
        );
      }
      return {
        previousSeed: wire.previous_seed.seed,
        previousSeedHash: wire.previous_seed.seed_hash,
        newSeedHash: wire.new_seed_hash,
      };
    },

    /** The server's verdict as it sent it: `status: "seed_not_yet_revealed"` until the seed rotates. */
    async verifyBet(key, betId, opts) {
      requireText("betId", betId, 200);
      const wire = await http.json(
        { service: "casino", method: "POST", path: "/fairness/verify", key, body: { bet_id: betId }, effect: "none" },
        z.looseObject({}),
        opts,
      );
      const { _info, ...verdict } = wire;
      return verdict;
    },
  };
}
