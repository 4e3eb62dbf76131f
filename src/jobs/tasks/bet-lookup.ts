import { FleetError, toFleetError } from "../../errors.js";
import { findBetsByClientSeed } from "../../purpleflea/reconcile.js";
import type { ApiKey, CasinoClient, ExportedBet } from "../../purpleflea/types.js";
import { MicroBatcher, whenAllAborted } from "./micro-batcher.js";

/**
 * Answers "was the bet with this client_seed placed?" from the server's bet export (§11), for many bets at
 * once: reconciliations of one agent that start together (after a crash, or a lost batch answer) share one
 * `bets/export.csv` call. A failed export rejects every member; the caller reports `unknown`.
 */

export interface BetLookupOptions {
  casino: Pick<CasinoClient, "exportBets">;
  /** default 25 ms: recovery starts many reconciliations in a burst */
  gatherMs?: number;
  /** seeds per export call */
  maxSeeds?: number;
}

interface Query {
  key: ApiKey;
  clientSeed: string;
  /** earliest time the bet can have been placed, ms since epoch */
  since: number;
}

export interface BetLookup {
  /** the exported row, or null when the export proves the bet was not placed */
  find(
    agentId: string,
    key: ApiKey,
    clientSeed: string,
    since: number,
    signal?: AbortSignal,
  ): Promise<ExportedBet | null>;
}

export function createBetLookup(opts: BetLookupOptions): BetLookup {
  const batcher = new MicroBatcher<Query, ExportedBet | null>({
    gatherMs: opts.gatherMs ?? 25,
    maxItems: opts.maxSeeds ?? 500,
    notSent: (q, reason) =>
      new FleetError("CANCELLED", `the export lookup of ${q.clientSeed} was abandoned`, {
        kind: "retryable",
        cause: reason,
      }),
    flush: async (_agentId, waiters) => {
      const first = waiters[0];
      if (!first) return;
      const since = Math.min(...waiters.map((w) => w.item.since));
      const signal = whenAllAborted(waiters.map((w) => w.signal));
      try {
        const found = await findBetsByClientSeed(
          opts.casino,
          first.item.key,
          waiters.map((w) => w.item.clientSeed),
          { since: new Date(since) },
          signal ? { signal } : {},
        );
        for (const w of waiters) w.resolve(found.get(w.item.clientSeed) ?? null);
      } catch (err) {
        const e = toFleetError(err);
        for (const w of waiters) w.reject(e);
      }
    },
  });
  return {
    find: (agentId, key, clientSeed, since, signal) => batcher.submit(agentId, { key, clientSeed, since }, signal),
  };
}
