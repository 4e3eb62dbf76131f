import { FleetError, toFleetError } from "../../errors.js";
import type { BetRecord } from "../../ledger/types.js";
import { findBetsByClientSeed } from "../../purpleflea/reconcile.js";
import type { ApiKey, CasinoClient, ExportedBet } from "../../purpleflea/types.js";
import type { BetArgs } from "./args.js";
import { exportMismatch, recordFromExport } from "./bet-record.js";
import { errorMessage } from "./messages.js";
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

/**
 * The bets of `missing` that the server's export holds, as ledger records; or why it cannot be told (the export
 * failed, or a row under one of our seeds is not the bet we sent).
 */
export async function findBetsInExport(
  lookup: BetLookup,
  key: ApiKey,
  missing: readonly BetArgs[],
  jobId: string,
  since: number,
  signal: AbortSignal,
): Promise<Map<string, BetRecord> | string> {
  let rows: Awaited<ReturnType<BetLookup["find"]>>[];
  try {
    // The lookups of one agent share one export call.
    rows = await Promise.all(missing.map((b) => lookup.find(b.agentId, key, b.clientSeed, since, signal)));
  } catch (err) {
    return `the bet export could not be read: ${errorMessage(err)}`;
  }
  const found = new Map<string, BetRecord>();
  for (const [i, row] of rows.entries()) {
    const b = missing[i] as BetArgs;
    if (!row) continue;
    const mismatch = exportMismatch(b, row);
    if (mismatch) return `bet ${row.betId} carries client_seed ${b.clientSeed} but is not this job's bet (${mismatch})`;
    found.set(b.clientSeed, recordFromExport(b, row, jobId));
  }
  return found;
}
