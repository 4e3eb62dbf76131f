import { FleetError, type FleetErrorCode, toFleetError } from "../../errors.js";
import { redactSecrets } from "../../log.js";
import type { ApiKey, BetReceipt, BetRequest, CasinoClient } from "../../purpleflea/types.js";
import { MAX_BETS_PER_BATCH } from "./args.js";
import { InFlight } from "./in-flight.js";
import { MicroBatcher, type Waiter } from "./micro-batcher.js";

/**
 * Sends single-bet jobs through `POST /bets/batch`: concurrent bets of one agent are gathered for a few ms and
 * go out together (≤ 20 per call). One batch call carries 20 bets where single games allow one, which is
 * what lets a fleet place 200 bets/min per agent (10 batch calls/min) instead of 60.
 *
 * Each bet still gets its own answer: its receipt, or an error whose `kind` is exact for it. A per-bet refusal
 * inside a settled batch is permanent for that bet only; a lost batch answer makes every member ambiguous (each
 * is then reconciled on its own client_seed); a bet whose job gave up before its call left is dropped from it.
 */

export { MAX_BETS_PER_BATCH };

export interface BetSenderOptions {
  casino: Pick<CasinoClient, "batch">;
  /** how long the first bet waits for others of the same agent; default 5 ms */
  gatherMs?: number;
  /** waits until a batch call for this agent may be sent (rate-limit tokens) */
  beforeCall?: (agentId: string) => Promise<void>;
}

interface Item {
  key: ApiKey;
  request: BetRequest;
}

export interface BetSender {
  place(agentId: string, key: ApiKey, request: BetRequest, signal?: AbortSignal): Promise<BetReceipt>;
  /**
   * Resolves once this process no longer holds the bet with this client_seed: not waiting to be sent, and no
   * call carrying it still open. A job aborted mid-call is reconciled only after this (see in-flight.ts).
   */
  released(clientSeed: string): Promise<void>;
}

export function createBetSender(opts: BetSenderOptions): BetSender {
  const batcher = new MicroBatcher<Item, BetReceipt>({
    gatherMs: opts.gatherMs ?? 5,
    maxItems: MAX_BETS_PER_BATCH,
    ...(opts.beforeCall ? { beforeFlush: opts.beforeCall } : {}),
    notSent: (item, reason) =>
      new FleetError("CANCELLED", `bet ${item.request.clientSeed} was not sent: ${describe(reason)}`, {
        kind: "retryable",
        cause: reason,
      }),
    flush: (_agentId, waiters) => sendBatch(opts.casino, waiters),
  });
  const held = new InFlight();
  return {
    place: (agentId, key, request, signal) =>
      held.track(request.clientSeed, batcher.submit(agentId, { key, request }, signal)),
    released: (clientSeed) => held.released(clientSeed),
  };
}

async function sendBatch(casino: Pick<CasinoClient, "batch">, waiters: Array<Waiter<Item, BetReceipt>>): Promise<void> {
  const first = waiters[0];
  if (!first) return;
  try {
    // No abort signal: once sent, the call runs to its answer or the client's deadline (see in-flight.ts).
    const answer = await casino.batch(
      first.item.key,
      waiters.map((w) => w.item.request),
    );
    if (answer.results.length !== waiters.length) {
      const err = new FleetError(
        "OUTCOME_UNKNOWN",
        `bets/batch answered ${answer.results.length} results for ${waiters.length} bets`,
        { kind: "ambiguous", hint: "each bet is reconciled by its client_seed before anything is sent again" },
      );
      for (const w of waiters) w.reject(err);
      return;
    }
    answer.results.forEach((r, i) => {
      const w = waiters[i] as Waiter<Item, BetReceipt>;
      if (r.ok) settleOne(w, r.receipt);
      else w.reject(refusal(w.item.request, r.error, r.message));
    });
  } catch (err) {
    // The whole call failed: every member shares its fate (ambiguous, rate limited, refused or not sent).
    const e = toFleetError(err);
    for (const w of waiters) w.reject(e);
  }
}

function settleOne(w: Waiter<Item, BetReceipt>, receipt: BetReceipt): void {
  const expected = w.item.request.clientSeed;
  if (receipt.proof.clientSeed !== expected) {
    // A receipt we cannot tie to this bet: the bet may exist under another seed. Loud, never guessed.
    w.reject(
      new FleetError(
        "OUTCOME_UNKNOWN",
        `bets/batch returned bet ${receipt.betId} with client_seed \`${receipt.proof.clientSeed}\` where \`${expected}\` was sent`,
        { kind: "ambiguous" },
      ),
    );
    return;
  }
  w.resolve(receipt);
}

/** A per-bet refusal inside a settled batch: that bet was not placed. */
function refusal(request: BetRequest, upstreamCode: string, message: string): FleetError {
  const text = `bet ${request.clientSeed} refused by bets/batch: ${upstreamCode}: ${redactSecrets(message)}`;
  return new FleetError(refusalCode(upstreamCode), text, { kind: "permanent", upstreamCode });
}

/** pf-fleet's code for the casino's per-bet refusal code inside a settled batch. */
export function refusalCode(upstreamCode: string): FleetErrorCode {
  if (upstreamCode === "kelly_limit_exceeded") return "KELLY_LIMIT_EXCEEDED";
  if (upstreamCode === "insufficient_balance") return "INSUFFICIENT_BALANCE";
  if (upstreamCode === "minimum_bet" || upstreamCode.startsWith("invalid_")) return "INVALID_INPUT";
  return "UPSTREAM_REJECTED";
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason ?? "aborted");
}
