/**
 * The standard chord callback (the seed's `aggregate_bet_results`): totals of a fan-out of bets, plus what
 * failed and why. Members are bet batches (`casino.bet_batch`, one per `bets/batch` call); the results that
 * earlier versions' members stored (a single bet, a batch's list of bets) still count. Every figure counts bets,
 * not jobs. Amounts are integer micro-USD.
 */
import { z } from "zod";
import { FleetError } from "../errors.js";
import type { Micros } from "../money.js";
import type { JobRepo } from "../storage/jobs.js";
import { describeJobError } from "./job-error.js";
import type { ChordMemberOutcome, TaskDefinition } from "./types.js";

export const AGGREGATE_BET_RESULTS = "aggregate_bet_results";

const micros = z.number().int().refine(Number.isSafeInteger, "must be a safe integer of micro-USD");

/** One settled bet, as a bet job returns it (and as a bet-batch job lists them). */
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

const refusedSchema = z.array(z.object({ clientSeed: z.string(), code: z.string(), reason: z.string() }));

/** What a bet-batch member of an earlier version returned: every placed bet, and those the server refused. */
const batchOutcomeSchema = z.object({ bets: z.array(betOutcomeSchema), refused: refusedSchema });

const highlightSchema = z.object({ clientSeed: z.string(), betId: z.string(), game: z.string(), net: micros });

/** What a bet-batch member returns (BetBatchResult): the totals of the bets it placed, and those refused. */
const batchSummarySchema = z
  .object({
    placed: z.number().int().min(0),
    wins: z.number().int().min(0),
    losses: z.number().int().min(0),
    wagered: micros,
    returned: micros,
    pnl: micros,
    best: highlightSchema.nullable(),
    worst: highlightSchema.nullable(),
    refused: refusedSchema,
  })
  .refine((s) => s.wins + s.losses === s.placed, "wins + losses must equal placed")
  .refine((s) => s.pnl === s.returned - s.wagered, "pnl must equal returned − wagered")
  .refine((s) => (s.placed === 0) === (s.best === null && s.worst === null), "best and worst go with placed bets");
type BatchSummary = z.infer<typeof batchSummarySchema>;

/** A member's bets when it did not finish: one for a single bet, the seeds of a batch. */
const memberArgsSchema = z.object({ clientSeeds: z.array(z.string()) });

const memberSchema = z.object({
  jobId: z.string(),
  task: z.string(),
  state: z.string(),
  result: z.unknown().optional(),
  error: z.record(z.string(), z.unknown()).optional(),
  args: z.unknown().optional(),
});

/** `chordId` from the engine (the callback reads its members); `results` from callbacks fired by older versions */
const argsSchema = z.looseObject({ results: z.array(memberSchema).optional(), chordId: z.string().optional() });

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
  /** what did not settle and why; `bets` is how many bets the entry stands for (a whole batch job, or one bet) */
  failed: Array<{ jobId: string; task: string; state: string; reason: string; bets: number; clientSeed?: string }>;
  /** members still unfinished when a chord deadline fired */
  pending: Array<{ jobId: string; task: string; state: string; bets: number }>;
  /** Σ failed[].bets */
  failedBets: number;
  /** Σ pending[].bets */
  pendingBets: number;
}

const UNFINISHED = new Set(["queued", "running", "retrying", "waiting"]);

/**
 * The bets that members which ended without a result had placed anyway, by job id: a batch settled in part
 * and then cancelled or failed. The engine alone cannot know them; the fleet's version reads its ledger.
 */
export type PlacedBets = (jobIds: readonly string[]) => Promise<ReadonlyMap<string, readonly BetOutcome[]>>;

export async function aggregateBetResults(
  results: readonly ChordMemberOutcome[],
  placedBy?: PlacedBets,
): Promise<BetAggregate> {
  const tally = new BetTally(placedBy);
  await tally.add(results);
  return tally.result();
}

/**
 * The aggregate of a chord read from its member rows a page at a time, so a chord of 2,500 calls (50,000 bets)
 * is summed in constant memory: no list of every result is ever held, stored in the callback's args, or parsed.
 */
export async function aggregateChordMembers(
  jobs: Pick<JobRepo, "memberOutcomes">,
  chordId: string,
  opts: { placedBy?: PlacedBets; pageSize?: number } = {},
): Promise<BetAggregate> {
  const tally = new BetTally(opts.placedBy);
  const limit = opts.pageSize ?? MEMBER_PAGE;
  // canvas indexes are 0…size−1 for the members (the callback comes last), so a page ends where the next begins
  for (let afterIndex = -1; ; ) {
    const page = await jobs.memberOutcomes(chordId, { afterIndex, limit });
    // the chord's own callback (this task) is its last member; it places no bets
    await tally.add(page.filter((m) => m.task !== AGGREGATE_BET_RESULTS));
    if (page.length < limit) return tally.result();
    afterIndex += page.length;
  }
}

const MEMBER_PAGE = 200;

/** Running totals over members, added a page at a time. */
export class BetTally {
  readonly #placedBy: PlacedBets | undefined;
  readonly #agg: BetAggregate = {
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
    failedBets: 0,
    pendingBets: 0,
  };

  constructor(placedBy?: PlacedBets) {
    this.#placedBy = placedBy;
  }

  result(): BetAggregate {
    const agg = this.#agg;
    return { ...agg, winRate: agg.totalBets === 0 ? null : agg.wins / agg.totalBets };
  }

  #bet(jobId: string, b: BetOutcome): void {
    const line: BetLine = { jobId, clientSeed: b.clientSeed, betId: b.betId, game: b.game, net: b.net };
    this.#summary({
      placed: 1,
      wins: b.won ? 1 : 0,
      losses: b.won ? 0 : 1,
      wagered: b.stake,
      returned: b.payout,
      pnl: b.net,
      best: line,
      worst: line,
    });
  }

  /** a member's totals; its best and worst already name their job */
  #summary(s: Omit<BatchSummary, "refused" | "best" | "worst"> & { best: BetLine | null; worst: BetLine | null }) {
    const agg = this.#agg;
    agg.totalBets += s.placed;
    agg.wins += s.wins;
    agg.losses += s.losses;
    agg.wagered += s.wagered;
    agg.returned += s.returned;
    agg.totalPnl += s.pnl;
    // the first of equals stands (members are added in chord order, a member's bets in seed order)
    if (s.best && (!agg.best || s.best.net > agg.best.net)) agg.best = s.best;
    if (s.worst && (!agg.worst || s.worst.net < agg.worst.net)) agg.worst = s.worst;
  }

  #refused(jobId: string, task: string, state: string, refused: BatchSummary["refused"]): void {
    const agg = this.#agg;
    for (const r of refused) {
      agg.failed.push({ jobId, task, state, reason: `${r.code}: ${r.reason}`, bets: 1, clientSeed: r.clientSeed });
      agg.failedBets++;
    }
  }

  async add(results: readonly ChordMemberOutcome[]): Promise<void> {
    const agg = this.#agg;
    const add = (jobId: string, b: BetOutcome) => this.#bet(jobId, b);
    const placedBy = this.#placedBy;
    const unsettled = results.filter((m) => m.state !== "succeeded" && !UNFINISHED.has(m.state)).map((m) => m.jobId);
    const placedAnyway = placedBy && unsettled.length > 0 ? await placedBy(unsettled) : new Map<string, BetOutcome[]>();
    for (const member of results) {
      const { jobId, task, state } = member;
      if (UNFINISHED.has(state)) {
        const bets = betsAskedOf(member);
        agg.pending.push({ jobId, task, state, bets });
        agg.pendingBets += bets;
        continue;
      }
      if (state !== "succeeded") {
        const placed = placedAnyway.get(jobId) ?? [];
        for (const b of placed) add(jobId, b);
        const bets = Math.max(0, betsAskedOf(member) - placed.length);
        if (bets > 0) {
          agg.failed.push({ jobId, task, state, reason: describeJobError(member.error), bets });
          agg.failedBets += bets;
        }
        continue;
      }
      const summary = batchSummarySchema.safeParse(member.result);
      if (summary.success) {
        const { best, worst, refused, ...totals } = summary.data;
        this.#summary({ ...totals, best: best && { jobId, ...best }, worst: worst && { jobId, ...worst } });
        this.#refused(jobId, task, state, refused);
        continue;
      }
      const batch = batchOutcomeSchema.safeParse(member.result);
      if (batch.success) {
        for (const b of batch.data.bets) add(jobId, b);
        this.#refused(jobId, task, state, batch.data.refused);
        continue;
      }
      const bet = betOutcomeSchema.safeParse(member.result);
      if (!bet.success) {
        const bets = betsAskedOf(member);
        agg.failed.push({ jobId, task, state, reason: `result is not a bet: ${z.prettifyError(bet.error)}`, bets });
        agg.failedBets += bets;
        continue;
      }
      add(jobId, bet.data);
    }
  }
}

function betsAskedOf(member: ChordMemberOutcome): number {
  const parsed = memberArgsSchema.safeParse(member.args);
  return parsed.success ? parsed.data.clientSeeds.length : 1;
}

/** The chord callback; with `placedBy`, members that ended without a result still count the bets they placed. */
export function aggregateBetResultsTaskWith(
  placedBy?: PlacedBets,
): TaskDefinition<z.infer<typeof argsSchema>, BetAggregate> {
  return {
    name: AGGREGATE_BET_RESULTS,
    queue: "analytics",
    moneyMoving: false,
    timeLimitMs: 30_000,
    retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 10_000, jitter: 0.2 },
    args: argsSchema,
    readsMembers: true,
    run: async ({ args, job, storage }) => {
      // a callback an earlier version fired still carries its members' outcomes
      if (args.results) return aggregateBetResults(args.results as ChordMemberOutcome[], placedBy);
      if (args.chordId === undefined || job.parentId !== args.chordId) {
        throw new FleetError("INVALID_INPUT", `${AGGREGATE_BET_RESULTS} must run as a chord callback`);
      }
      return aggregateChordMembers(storage.jobs, args.chordId, placedBy ? { placedBy } : {});
    },
  };
}

/** The engine's built-in version: member results only. */
export const aggregateBetResultsTask = aggregateBetResultsTaskWith();
