import { createHash } from "node:crypto";
import type { z } from "zod";
import type { FleetDeps } from "../../deps.js";
import { FleetError } from "../../errors.js";
import type { Micros } from "../../money.js";
import type { TaskDefinition } from "../types.js";
import { placeBatchArgs, TASK } from "./args.js";
import { type AgentAllocation, type GameEconomics, planBatch } from "./batch-plan.js";
import { loadBankrolls, submitBatch } from "./batch-submit.js";
import { READ_RETRY } from "./policies.js";

/**
 * `casino.place_batch`, the scheduled form of the batch tools: plans `count` bets round-robin over the agents
 * (within each agent's Kelly cap and the fleet's risk limits) and submits them as a chord of `casino.bet_batch`
 * jobs with `aggregate_bet_results` as callback. Its result names the chord, whose result is the summary.
 * Client seeds derive from this job's id, so a re-run can never place the batch twice.
 */

export type PlaceBatchArgs = z.infer<typeof placeBatchArgs>;

export interface PlaceBatchResult {
  chordId: string;
  bets: number;
  totalStake: Micros;
  expectedValue: Micros;
  economics: GameEconomics;
  agents: AgentAllocation[];
  warnings: string[];
}

export function casinoPlaceBatchTask(
  deps: Pick<FleetDeps, "fleet" | "client" | "engine" | "storage">,
): TaskDefinition<PlaceBatchArgs, PlaceBatchResult> {
  return {
    name: TASK.placeBatch,
    queue: "casino",
    // It only enqueues: the money moves in its casino.bet_batch members, each reconciled on its own.
    moneyMoving: false,
    timeLimitMs: 60_000,
    retry: READ_RETRY,
    args: placeBatchArgs,

    async run(ctx) {
      const { args } = ctx;
      const bankrolls = await loadBankrolls(deps, args.agentIds, ctx.signal);
      const plan = planBatch({
        bet: args.bet,
        count: args.count,
        amount: args.amount,
        agents: bankrolls,
        priority: args.priority,
        origin: args.origin,
        seedPrefix: seedPrefixFor(ctx.job.id),
      });
      let chordId: string;
      try {
        chordId = (await submitBatch(deps, plan, { submittedBy: ctx.job.id })).id;
      } catch (err) {
        chordId = await earlierChord(deps, err);
      }
      return {
        chordId,
        bets: plan.count,
        totalStake: plan.totalStake,
        expectedValue: plan.expectedValue,
        economics: plan.economics,
        agents: plan.agents,
        warnings: plan.warnings,
      };
    },
  };
}

/** Deterministic per job and unique across jobs: `pfb-` + 24 hex of the job id's hash. */
export function seedPrefixFor(jobId: string): string {
  return `pfb-${createHash("sha256").update(jobId).digest("hex").slice(0, 24)}`;
}

/**
 * An earlier attempt of this job got as far as the chord but not as far as remembering it: the engine refuses
 * the same client seeds again, naming the bet-batch job that holds one. Its chord is ours.
 */
async function earlierChord(deps: Pick<FleetDeps, "engine">, err: unknown): Promise<string> {
  const holder = err instanceof FleetError && err.code === "CONFLICT" ? err.details?.jobId : undefined;
  const chordId = typeof holder === "string" ? (await deps.engine.get(holder))?.canvasId : undefined;
  if (typeof chordId === "string") return chordId;
  throw err;
}
