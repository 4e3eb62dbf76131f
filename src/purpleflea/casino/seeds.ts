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
  seeds: z.array(
    z.object({
      seed_hash: z.string(),
      /** the seed itself once revealed; a placeholder text while active */
      seed: z.string().optional(),
      active: z.union([z.boolean(), z.number()]).transform(Boolean),
      bets_made: z.number().int().nonnegative(),
      revealed_at: z.string().nullable().optional(),
    }),
  ),
});

const auditSchema = z.object({
  bet_id: z.string(),
  fairness: z.object({
    server_seed_hash: z.string(),
    server_seed: z.string(),
    client_seed: z.string().nullable(),
    nonce: z.number().int().nonnegative(),
    result_hash: z.string(),
    seed_revealed: z.boolean(),
    seed_revealed_at: z.string().nullable(),
  }),
});

/** A revealed seed's text is 64 hex chars; anything else is the server's "not yet revealed" placeholder. */
const SEED_TEXT = /^[0-9a-f]{64}$/i;

function revealedAtMs(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

const rotateSchema = z.object({
  previous_seed: z.object({ seed: z.string().min(1), seed_hash: z.string() }).optional(),
  new_seed_hash: z.string().optional(),
});

export function seedMethods(
  http: HttpTransport,
): Pick<CasinoClient, "seedHash" | "rotateSeed" | "verifyBet" | "serverSeeds" | "auditBet"> {
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

    /**
     * Every server seed of the agent (`GET /fairness/seeds`), oldest first: the active one with its hash only, the
     * revealed ones — rotated on request or by the casino itself after 1,000 bets — with the seed in plain text.
     */
    async serverSeeds(key, opts) {
      const { seeds } = await http.json(
        { service: "casino", method: "GET", path: "/fairness/seeds", key, effect: "none" },
        seedsSchema,
        opts,
      );
      return seeds.map((s) => {
        const revealedAt = revealedAtMs(s.revealed_at);
        const seed = revealedAt !== null && s.seed !== undefined && SEED_TEXT.test(s.seed) ? s.seed : null;
        return { seedHash: s.seed_hash, seed, active: s.active, betsMade: s.bets_made, revealedAt };
      });
    },

    /** One bet's fairness record (`GET /fairness/audit/:betId`); `serverSeed` is null until its seed is revealed. */
    async auditBet(key, betId, opts) {
      requireText("betId", betId, 200);
      const wire = await http.json(
        {
          service: "casino",
          method: "GET",
          path: `/fairness/audit/${encodeURIComponent(betId)}`,
          key,
          effect: "none",
        },
        auditSchema,
        opts,
      );
      const f = wire.fairness;
      const seed = f.seed_revealed && SEED_TEXT.test(f.server_seed) ? f.server_seed : null;
      return {
        betId: wire.bet_id,
        serverSeedHash: f.server_seed_hash,
        serverSeed: seed,
        clientSeed: f.client_seed,
        nonce: f.nonce,
        resultHash: f.result_hash,
        revealedAt: revealedAtMs(f.seed_revealed_at),
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
