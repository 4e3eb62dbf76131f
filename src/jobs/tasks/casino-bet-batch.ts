import type { FleetDeps } from "../../deps.js";
import { FleetError } from "../../errors.js";
import { getBetsByClientSeeds, recordBet } from "../../ledger/index.js";
import type { BetRecord } from "../../ledger/types.js";
import { redactSecrets } from "../../log.js";
import type { BatchResult, CasinoClient } from "../../purpleflea/types.js";
import type { TaskDefinition } from "../types.js";
import {
  type BetArgs,
  type BetBatchArgs,
  type BetBatchResult,
  type BetResult,
  betBatchArgs,
  type RefusedBet,
  TASK,
} from "./args.js";
import { type BetLookup, findBetsInExport } from "./bet-lookup.js";
import { betRequest, betResult, recordFromReceipt } from "./bet-record.js";
import { refusalCode } from "./bet-sender.js";
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
 */

export interface BetBatchIo {
  casino: Pick<CasinoClient, "batch">;
  lookup: BetLookup;
}

export function casinoBetBatchTask(
  deps: Pick<FleetDeps, "fleet" | "db">,
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
      const recorded = getBetsByClientSeeds(deps.db, args.clientSeeds);
      const unsent = bets(args).filter((b) => !recorded.has(b.clientSeed));
      if (unsent.length === 0) return batchResult(args, recorded, new Map(), []);
      try {
        deps.fleet.assertCanPlaceBatch(unsent.map((b) => ({ agentId: b.agentId, stake: b.amount })));
      } catch (err) {
        // Nothing placed yet: the whole job is refused. Part placed (an earlier call settled in part): the job
        // is what it is — those bets, and the rest refused by the limits — so its result keeps what was placed.
        if (recorded.size === 0 || !(err instanceof FleetError)) throw err;
        return batchResult(args, recorded, new Map(), notPlaced(unsent, err.code, err.message));
      }
      const key = deps.fleet.keyFor(args.agentId);
      if (ctx.signal.aborted) {
        throw new FleetError("CANCELLED", `bet batch ${ctx.job.id} was stopped before its call was sent`, {
          kind: "retryable",
          cause: ctx.signal.reason,
        });
      }
      const sentAt = Date.now();
      // No abort signal on the call: once sent it runs to its answer or the client's deadline (see in-flight.ts).
      let answer: BatchResult;
      try {
        answer = await held.track(ctx.job.id, io.casino.batch(key, unsent.map(betRequest)));
      } catch (err) {
        // Proven not processed, and this job will not try again: it ends with the bets it placed earlier.
        if (recorded.size > 0 && isFinalRefusal(err, ctx.job)) {
          return batchResult(args, recorded, new Map(), notPlaced(unsent, err.code, `not placed: ${err.message}`));
        }
        throw err;
      }
      const { placed, refused } = settleAnswer(unsent, answer, ctx.job.id, sentAt);
      ctx.onCommit((db) => {
        for (const rec of placed.values()) recordBet(db, rec);
      });
      return batchResult(args, recorded, placed, refused);
    },

    async reconcile(ctx) {
      const { args } = ctx;
      await held.released(ctx.job.id);
      const recorded = getBetsByClientSeeds(deps.db, args.clientSeeds);
      const missing = bets(args).filter((b) => !recorded.has(b.clientSeed));
      const key = deps.fleet.keyFor(args.agentId);
      const found = await findBetsInExport(io.lookup, key, missing, ctx.job.id, ctx.job.createdAt, ctx.signal);
      if (typeof found === "string") return { outcome: "unknown", reason: found };
      ctx.onCommit((db) => {
        for (const rec of found.values()) recordBet(db, rec);
      });
      const absent = missing.filter((b) => !found.has(b.clientSeed));
      const lastTry = ctx.cancelRequested || ctx.job.attempts >= ctx.job.maxAttempts;
      if (absent.length > 0 && recorded.size + found.size > 0 && lastTry) {
        // Cancelled or out of attempts with part of the batch placed: the job is what it placed; the rest, proven
        // absent, is listed as not placed rather than the job ending with its placed bets uncounted.
        const last = ctx.job.error?.code;
        const code = ctx.cancelRequested ? "CANCELLED" : typeof last === "string" ? last : "OUTCOME_UNKNOWN";
        const why = ctx.cancelRequested
          ? "not placed: the job was cancelled, and the server has no such bet"
          : `not placed: absent from the bet export after ${ctx.job.attempts} attempts`;
        return { outcome: "done", result: batchResult(args, recorded, found, notPlaced(absent, code, why)) };
      }
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

/** The batch as single bets, in seed order. */
function bets(args: BetBatchArgs): BetArgs[] {
  return args.clientSeeds.map((clientSeed) => ({
    agentId: args.agentId,
    bet: args.bet,
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

function notPlaced(bets: readonly BetArgs[], code: string, reason: string): RefusedBet[] {
  return bets.map((b) => ({ clientSeed: b.clientSeed, code, reason }));
}

/** A call failure that ends the job: refused outright, or proven unsent on its last attempt. */
function isFinalRefusal(err: unknown, job: { attempts: number; maxAttempts: number }): err is FleetError {
  if (!(err instanceof FleetError)) return false;
  return err.kind === "permanent" || (err.kind === "retryable" && job.attempts >= job.maxAttempts);
}

function ambiguous(message: string): FleetError {
  return new FleetError("OUTCOME_UNKNOWN", message, {
    kind: "ambiguous",
    hint: "each bet is reconciled by its client_seed before anything is sent again",
  });
}

/** Every bet of the batch in seed order: recorded earlier, placed now, or refused now. */
function batchResult(
  args: BetBatchArgs,
  recorded: ReadonlyMap<string, BetRecord>,
  placed: ReadonlyMap<string, BetRecord>,
  refused: RefusedBet[],
): BetBatchResult {
  const out: BetResult[] = [];
  for (const seed of args.clientSeeds) {
    const rec = placed.get(seed) ?? recorded.get(seed);
    if (rec) out.push(betResult(rec));
  }
  return { agentId: args.agentId, bets: out, refused };
}
