/**
 * The standard chord callback (the seed's `aggregate_bet_results`): totals of a fan-out of bets, plus what
 * failed and why. Members' results are bets as the casino tasks return them, in integer micro-USD.
 */
import { z } from "zod";
import type { Micros } from "../money.js";
import { describeJobError } from "./job-error.js";
import type { ChordMemberOutcome, TaskDefinition } from "./types.js";

export const AGGREGATE_BET_RESULTS = "aggregate_bet_results";

const micros = z.number().int().refine(Number.isSafeInteger, "must be a safe integer of micro-USD");

/** What a bet member job returns. */
export const betOutcomeSchema = z
  .object({
    clientSeed: z.string(),
    betId: z.string(),
    game: z.string(),
    stake: micros.refine((n) => n > 0, "stake must be > 0"),
    payout: micros.refine((n) => n >= 0, "payout must be ≥ 0"),
    net: micros,
    won: z.boolean(),
  })
  .refine((b) => b.net === b.payout - b.stake, "net must equal payout − stake");

export type BetOutcome = z.infer<typeof betOutcomeSchema>;

const memberSchema = z.object({
  jobId: z.string(),
  task: z.string(),
  state: z.string(),
  result: z.unknown().optional(),
  error: z.record(z.string(), z.unknown()).optional(),
});

const argsSchema = z.looseObject({ results: z.array(memberSchema) });

export interface BetLine {
  jobId: string;
  clientSeed: string;
  betId: string;
  game: string;
  net: Micros;
}

export interface BetAggregate {
  totalBets: number;
  wins: number;
  losses: number;
  /** 0–1; null with no bets */
  winRate: number | null;
  wagered: Micros;
  returned: Micros;
  /** Σ (payout − stake) */
  totalPnl: Micros;
  best: BetLine | null;
  worst: BetLine | null;
  failed: Array<{ jobId: string; task: string; state: string; reason: string }>;
  /** members still unfinished when a chord deadline fired */
  pending: Array<{ jobId: string; task: string; state: string }>;
}

const UNFINISHED = new Set(["queued", "running", "retrying", "waiting"]);

export function aggregateBetResults(results: readonly ChordMemberOutcome[]): BetAggregate {
  const agg: BetAggregate = {
    totalBets: 0,
    wins: 0,
    losses: 0,
    winRate: null,
    wagered: 0,
    returned: 0,
    totalPnl: 0,
    best: null,
    worst: null,
    failed: [],
    pending: [],
  };
  for (const member of results) {
    const { jobId, task, state } = member;
    if (UNFINISHED.has(state)) {
      agg.pending.push({ jobId, task, state });
      continue;
    }
    if (state !== "succeeded") {
      agg.failed.push({ jobId, task, state, reason: describeJobError(member.error) });
      continue;
    }
    const bet = betOutcomeSchema.safeParse(member.result);
    if (!bet.success) {
      agg.failed.push({ jobId, task, state, reason: `result is not a bet: ${z.prettifyError(bet.error)}` });
      continue;
    }
    const b = bet.data;
    agg.totalBets++;
    if (b.won) agg.wins++;
    else agg.losses++;
    agg.wagered += b.stake;
    agg.returned += b.payout;
    agg.totalPnl += b.net;
    const line: BetLine = { jobId, clientSeed: b.clientSeed, betId: b.betId, game: b.game, net: b.net };
    if (!agg.best || b.net > agg.best.net) agg.best = line;
    if (!agg.worst || b.net < agg.worst.net) agg.worst = line;
  }
  agg.winRate = agg.totalBets === 0 ? null : agg.wins / agg.totalBets;
  return agg;
}

export const aggregateBetResultsTask: TaskDefinition<z.infer<typeof argsSchema>, BetAggregate> = {
  name: AGGREGATE_BET_RESULTS,
  queue: "analytics",
  moneyMoving: false,
  timeLimitMs: 30_000,
  retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 10_000, jitter: 0.2 },
  args: argsSchema,
  run: async ({ args }) => aggregateBetResults(args.results as ChordMemberOutcome[]),
};
