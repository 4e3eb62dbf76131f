import type { FleetDeps } from "../../deps.js";
import { recordBet } from "../../ledger/bets.js";
import type { TaskDefinition } from "../types.js";
import { type BetArgs, type BetResult, betArgs, TASK } from "./args.js";
import { type BetLookup, findBetsInExport } from "./bet-lookup.js";
import { betRequest, betResult, recordFromReceipt } from "./bet-record.js";
import type { BetSender } from "./bet-sender.js";
import { BET_RETRY, BET_TIME_LIMIT_MS } from "./policies.js";
import { betAdmission } from "./rate-gate.js";

/**
 * `casino.bet`: one logical bet per job, identified for ever by its client_seed. Planned batches now run as
 * `casino.bet_batch` jobs (one per call); this task stays for single bets and for jobs an earlier version queued,
 * which must still run and reconcile after an upgrade. The risk checks run first (a paused
 * fleet or an over-limit stake fails permanently with nothing sent); the bet then travels in a shared
 * `bets/batch` call, and its receipt is committed to the ledger in the same transaction as the job's success.
 * A lost answer is reconciled from the server's bet export by client_seed: found → recorded (source
 * "reconciled", payout = stake × multiplier exactly), absent → proven not placed, export failed → unknown.
 */

export interface BetTaskIo {
  sender: BetSender;
  lookup: BetLookup;
}

export function casinoBetTask(deps: Pick<FleetDeps, "fleet">, io: BetTaskIo): TaskDefinition<BetArgs, BetResult> {
  return {
    name: TASK.bet,
    queue: "casino",
    moneyMoving: true,
    timeLimitMs: BET_TIME_LIMIT_MS,
    retry: BET_RETRY,
    args: betArgs,
    idempotencyKey: (args) => args.clientSeed,
    rateLimits: (args) => betAdmission(args.agentId),

    async run(ctx) {
      const { args } = ctx;
      deps.fleet.assertCanBet(args.agentId, args.amount);
      const key = deps.fleet.keyFor(args.agentId);
      const sentAt = Date.now();
      const receipt = await io.sender.place(args.agentId, key, betRequest(args), ctx.signal);
      const record = recordFromReceipt(args, receipt, ctx.job.id, sentAt);
      ctx.onCommit((db) => recordBet(db, record));
      return betResult(record);
    },

    async reconcile(ctx) {
      const { args } = ctx;
      await io.sender.released(args.clientSeed);
      // The bet cannot predate its job; the lookup widens the window for server clock skew.
      const key = deps.fleet.keyFor(args.agentId);
      const found = await findBetsInExport(io.lookup, key, [args], ctx.job.id, ctx.job.createdAt, ctx.signal);
      if (typeof found === "string") return { outcome: "unknown", reason: found };
      const record = found.get(args.clientSeed);
      if (!record) {
        return {
          outcome: "not_done",
          reason: `client_seed ${args.clientSeed} is not in ${args.agentId}'s bet export since the job was created`,
        };
      }
      ctx.onCommit((db) => recordBet(db, record));
      return { outcome: "done", result: betResult(record) };
    },
  };
}
