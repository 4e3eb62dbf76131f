import { z } from "zod";
import { FleetError } from "../../errors.js";
import { parseBetExport } from "../bet-export.js";
import { apiGameName, wireGameName } from "../game-names.js";
import type { HttpTransport } from "../http.js";
import { requireOneOf, requireRange } from "../input.js";
import type { BatchResult, CasinoClient } from "../types.js";
import { usd } from "../wire.js";
import { betBody } from "./bet-request.js";
import { betResultSchema, toReceipt } from "./receipts.js";

/** Placing bets and reading them back: single bets, batches, history and the CSV export. */

export const MAX_BATCH = 20;

const batchEntrySchema = z.union([betResultSchema, z.object({ error: z.string(), message: z.string().optional() })]);
const batchSchemas = new Map<
  number,
  z.ZodType<{ results: Array<z.infer<typeof batchEntrySchema>>; balance_after: number }>
>();

/** One result per bet; built once per batch size, not on every call (this is the engine's hottest path). */
function batchResponseSchema(size: number) {
  let schema = batchSchemas.get(size);
  if (!schema) {
    schema = z
      .object({ results: z.array(batchEntrySchema), balance_after: usd })
      .refine((r) => r.results.length === size, `expected one result per bet (${size})`);
    batchSchemas.set(size, schema);
  }
  return schema;
}

const historySchema = z.object({
  bets: z.array(
    z.object({
      id: z.string(),
      game: z.string(),
      amount: usd,
      amount_won: usd,
      multiplier: z.number(),
      won: z.boolean(),
      net: usd,
      at: z.string(),
    }),
  ),
});

export function betMethods(http: HttpTransport): Pick<CasinoClient, "bet" | "batch" | "history" | "exportBets"> {
  return {
    async bet(key, bet, opts) {
      const body = betBody(bet);
      const wire = await http.json(
        { service: "casino", method: "POST", path: `/games/${bet.game}`, key, body, effect: "money" },
        betResultSchema,
        opts,
      );
      return toReceipt(bet.game, wire);
    },

    async batch(key, bets, opts): Promise<BatchResult> {
      if (!Array.isArray(bets) || bets.length === 0 || bets.length > MAX_BATCH) {
        throw new FleetError("INVALID_INPUT", `a batch holds 1–${MAX_BATCH} bets, got ${bets?.length ?? 0}`);
      }
      const body = {
        bets: bets.map((bet, i) => ({ game: wireGameName(bet.game), ...betBody(bet, `bets[${i}]`) })),
      };
      const wire = await http.json(
        { service: "casino", method: "POST", path: "/bets/batch", key, body, effect: "money" },
        batchResponseSchema(bets.length),
        opts,
      );
      return {
        results: wire.results.map((entry, i) =>
          "error" in entry
            ? { ok: false as const, error: entry.error, message: entry.message ?? entry.error }
            : { ok: true as const, receipt: toReceipt(bets[i]!.game, entry) },
        ),
        balanceAfter: wire.balance_after,
      };
    },

    async history(key, q = {}, opts) {
      if (q.outcome !== undefined) requireOneOf("outcome", q.outcome, ["won", "lost"]);
      if (q.limit !== undefined) requireRange("limit", q.limit, 1, 200);
      if (q.offset !== undefined) requireRange("offset", q.offset, 0, Number.MAX_SAFE_INTEGER);
      const wire = await http.json(
        {
          service: "casino",
          method: "GET",
          path: "/bets/history",
          key,
          effect: "none",
          query: {
            game: q.game === undefined ? undefined : wireGameName(q.game),
            outcome: q.outcome,
            limit: q.limit,
            offset: q.offset,
            since: q.since,
          },
        },
        historySchema,
        opts,
      );
      return wire.bets.map((b) => ({
        id: b.id,
        game: apiGameName(b.game),
        amount: b.amount,
        amountWon: b.amount_won,
        multiplier: b.multiplier,
        won: b.won,
        net: b.net,
        at: b.at,
      }));
    },

    exportBets(key, q = {}, opts) {
      return http.text(
        {
          service: "casino",
          method: "GET",
          path: "/bets/export.csv",
          key,
          effect: "none",
          query: { since: q.since, until: q.until, game: q.game === undefined ? undefined : wireGameName(q.game) },
        },
        parseBetExport,
        opts,
      );
    },
  };
}
