import type { FleetDeps } from "../../deps.js";
import { FleetError } from "../../errors.js";
import { getBetsByClientSeeds, recordBets } from "../../ledger/index.js";
import type { BetRecord } from "../../ledger/types.js";
import { redactSecrets } from "../../log.js";
import type { BatchResult, CasinoClient } from "../../purpleflea/types.js";
import type { TaskDefinition } from "../types.js";
import {
  type BetArgs,
  type BetBatchArgs,
  type BetBatchResult,
  type BetHighlight,
  betBatchArgs,
  type RefusedBet,
  TASK,
} from "./args.js";
import { type BetLookup, findBetsInExport } from "./bet-lookup.js";
import { betRequest, recordFromReceipt, refusalCode } from "./bet-record.js";
import { InFlight } from "./in-flight.js";
import { BET_RETRY, BET_TIME_LIMIT_MS } from "./policies.js";
import { batchCallClaims } from "./rate-gate.js";

/**
 * `casino.bet_batch`: up to 20 bets of one agent sent as one `POST /bets/batch` call — the member job of a
 * planned batch. One job per call, not per bet: the job's claim is the durable intent of all its bets, and its
 * success commits every receipt to the ledger in the same transaction.
 *
 * Each bet stays a bet of its own: its client seed identifies it for ever, a bet the server refuses inside a
 * settled batch is reported on its own (and not sent again), and a lost answer is reconciled seed by seed from
 * the bet export. A batch can be partly placed (the server processes its bets one by one): reconciliation then
 * records the bets it found, and the next attempt sends only the rest — the ledger is what tells them apart.
 * If the job ends before the rest is placed (paused fleet, refused key, out of attempts, cancelled), it ends
 * like any job (failed, dead, cancelled); a retry sends only what is still missing, and the chord summary
 * counts the bets it placed from the ledger (ledgerPlacedBets).
 */

export interface BetBatchIo {
  casino: Pick<CasinoClient, "batch">;
  lookup: BetLookup;
  /**
   * sends a call in the agent's ledger lane (ledger-sync.ts): one call at a time fleet-wide, its ledger synced
   * after; `signal` stops the wait for the lane, not a call once sent
   */
  lane?: <T>(agentId: string, send: () => Promise<T>, signal?: AbortSignal) => Promise<T>;
}

export function casinoBetBatchTask(
  deps: Pick<FleetDeps, "fleet" | "storage">,
  io: BetBatchIo,
): TaskDefinition<BetBatchArgs, BetBatchResult> {
  const held = new InFlight();
  return {
    name: TASK.betBatch,
    queue: "casino",
    moneyMoving: true,
    timeLimitMs: BET_TIME_LIMIT_MS,
    retry: BET_RETRY,
    args: betBatchArgs,
    // A plan's seeds are unique; the first one names the call (and refuses the same call enqueued twice).
    idempotencyKey: (args) => args.clientSeeds[0] as string,
    // One job is one call: it draws the batch buckets before it is claimed, not while holding a slot.
    rateLimits: (args) => batchCallClaims(args.agentId),

    async run(ctx) {
      const { args } = ctx;
      const recorded = await getBetsByClientSeeds(ctx.storage, args.clientSeeds);
      const unsent = bets(args).filter((b) => !recorded.has(b.clientSeed));
      if (unsent.length === 0) return batchResult(args, recorded, new Map(), []);
      await deps.fleet.assertCanPlaceBatch(unsent.map((b) => ({ agentId: b.agentId, stake: b.amount })));
      const key = await deps.fleet.keyFor(args.agentId);
      if (ctx.signal.aborted) {
        throw new FleetError("CANCELLED", `bet batch ${ctx.job.id} was stopped before its call was sent`, {
          kind: "retryable",
          cause: ctx.signal.reason,
        });
      }
      const sentAt = Date.now();
      // No abort signal on the call: once sent it runs to its answer or the client's deadline (see in-flight.ts).
      const send = () => io.casino.batch(key, unsent.map(betRequest));
      const answer = await held.track(ctx.job.id, io.lane ? io.lane(args.agentId, send, ctx.signal) : send());
      const { placed, refused } = settleAnswer(unsent, answer, ctx.job.id, sentAt);
      ctx.onCommit(async (tx) => {
        await recordBets(tx, [...placed.values()]);
      });
      return batchResult(args, recorded, placed, refused);
    },

    async reconcile(ctx) {
      const { args } = ctx;
      await held.released(ctx.job.id);
      const recorded = await getBetsByClientSeeds(ctx.storage, args.clientSeeds);
      const missing = bets(args).filter((b) => !recorded.has(b.clientSeed));
      const key = await deps.fleet.keyFor(args.agentId);
      const found = await findBetsInExport(io.lookup, key, missing, ctx.job.id, ctx.job.createdAt, ctx.signal);
      if (typeof found === "string") return { outcome: "unknown", reason: found };
      ctx.onCommit(async (tx) => {
        await recordBets(tx, [...found.values()]);
      });
      const absent = missing.filter((b) => !found.has(b.clientSeed));
      if (absent.length > 0) {
        return {
          outcome: "not_done",
          reason:
            `${absent.length} of ${args.clientSeeds.length} bets are not in ${args.agentId}'s bet export since the ` +
            `job was created (${found.size} found and recorded); only those are sent again`,
        };
      }
      return { outcome: "done", result: batchResult(args, recorded, found, []) };
    },
  };
}

/** The batch as single bets, in seed order; a call may mix bets (`args.bets`, one per seed). */
function bets(args: BetBatchArgs): BetArgs[] {
  return args.clientSeeds.map((clientSeed, i) => ({
    agentId: args.agentId,
    bet: args.bets?.[i] ?? args.bet,
    amount: args.amount,
    clientSeed,
  }));
}

/**
 * A settled answer, bet by bet. An answer that cannot be matched to what was sent (a different count, a receipt
 * under another seed) proves nothing about any of them: the whole call is then ambiguous and reconciled.
 */
function settleAnswer(
  sent: readonly BetArgs[],
  answer: BatchResult,
  jobId: string,
  sentAt: number,
): { placed: Map<string, BetRecord>; refused: RefusedBet[] } {
  if (answer.results.length !== sent.length) {
    throw ambiguous(`bets/batch answered ${answer.results.length} results for ${sent.length} bets`);
  }
  const placed = new Map<string, BetRecord>();
  const refused: RefusedBet[] = [];
  answer.results.forEach((r, i) => {
    const b = sent[i] as BetArgs;
    if (!r.ok) {
      // The seed is in the entry; a reason without it groups alike refusals in summaries.
      const reason = `${redactSecrets(r.message)} (${r.error})`;
      refused.push({ clientSeed: b.clientSeed, code: refusalCode(r.error), reason });
      return;
    }
    if (r.receipt.proof.clientSeed !== b.clientSeed) {
      throw ambiguous(
        `bets/batch returned bet ${r.receipt.betId} with client_seed \`${r.receipt.proof.clientSeed}\` where \`${b.clientSeed}\` was sent`,
      );
    }
    placed.set(b.clientSeed, recordFromReceipt(b, r.receipt, jobId, sentAt));
  });
  return { placed, refused };
}

function ambiguous(message: string): FleetError {
  return new FleetError("OUTCOME_UNKNOWN", message, {
    kind: "ambiguous",
    hint: "each bet is reconciled by its client_seed before anything is sent again",
  });
}

/** The totals of every bet of the batch (recorded earlier or placed now, in seed order), and those refused now. */
function batchResult(
  args: BetBatchArgs,
  recorded: ReadonlyMap<string, BetRecord>,
  placed: ReadonlyMap<string, BetRecord>,
  refused: RefusedBet[],
): BetBatchResult {
  const out: BetBatchResult = {
    agentId: args.agentId,
    placed: 0,
    wins: 0,
    losses: 0,
    wagered: 0,
    returned: 0,
    pnl: 0,
    nets: [],
    best: null,
    worst: null,
    refused,
  };
  for (const seed of args.clientSeeds) {
    const rec = placed.get(seed) ?? recorded.get(seed);
    if (!rec) continue;
    const net = rec.payout - rec.stake;
    out.placed++;
    if (rec.won) out.wins++;
    else out.losses++;
    out.wagered += rec.stake;
    out.returned += rec.payout;
    out.pnl += net;
    out.nets.push(net);
    // the first of equals stands, as in the chord's aggregate
    if (!out.best || net > out.best.net) out.best = highlight(rec, net);
    if (!out.worst || net < out.worst.net) out.worst = highlight(rec, net);
  }
  return out;
}

function highlight(rec: BetRecord, net: number): BetHighlight {
  return { clientSeed: rec.clientSeed, betId: rec.betId, game: rec.game, net };
}
