/**
 * Names and argument schemas of pf-fleet's tasks: the contract between the tools and scheduler that enqueue
 * jobs and the task handlers that run them. Amounts are integer micro-USD. Job rows hold these args, so
 * nothing here may ever hold a key: tasks look keys up in the fleet store by agent id.
 */
import { z } from "zod";

export const TASK = {
  /** up to 20 bets of one agent in one `bets/batch` call: the members of a planned batch */
  betBatch: "casino.bet_batch",
  placeBatch: "casino.place_batch",
  verifyBets: "casino.verify_bets",
  transfer: "casino.transfer",
  aggregateBets: "aggregate_bet_results",
  escrowCreate: "escrow.create",
  escrowComplete: "escrow.complete",
  escrowValidate: "escrow.validate",
  escrowRelease: "escrow.release",
  escrowDispute: "escrow.dispute",
  escrowSettle: "escrow.settle",
  /** chord callback of escrow.settle: reports what was released and what failed */
  escrowSettleReport: "escrow.settle_report",
  faucetClaim: "faucet.claim",
  domainRegister: "domains.register",
  balanceCheck: "wallet.balance_check",
  ledgerRefresh: "ledger.refresh",
  dailyPnl: "pnl.daily_summary",
  weeklyPnl: "pnl.weekly_report",
} as const;

export type TaskName = (typeof TASK)[keyof typeof TASK];

export const agentId = z.string().regex(/^ag_[0-9a-f]{6,32}$/, "must be a casino agent id like `ag_1a2b3c4d5e6f`");
export const escrowId = z.string().regex(/^esc_[0-9a-zA-Z]{4,64}$/, "must be an escrow id like `esc_…`");
/** micro-USD, whole */
export const micros = z.number().int().nonnegative();

export const gameBet = z.discriminatedUnion("game", [
  z.object({ game: z.literal("coin-flip"), side: z.enum(["heads", "tails"]) }),
  z.object({
    game: z.literal("dice"),
    direction: z.enum(["over", "under"]),
    threshold: z.number().int().min(1).max(99),
  }),
  z.object({ game: z.literal("crash"), cash_out_at: z.number().min(1.01).max(100) }),
  z.object({ game: z.literal("multiplier"), target_multiplier: z.number().min(1.01).max(1000) }),
]);

export const betArgs = z.object({
  agentId,
  bet: gameBet,
  /** ≥ $0.01 */
  amount: micros.min(10_000),
  /** unique per logical bet: sent as client_seed, the key reconciliation finds the bet by */
  clientSeed: z.string().min(8).max(64),
});
export type BetArgs = z.infer<typeof betArgs>;

/** What a bet job returns (and what aggregate_bet_results reads). */
export interface BetResult {
  agentId: string;
  clientSeed: string;
  betId: string;
  game: string;
  stake: number;
  payout: number;
  net: number;
  won: boolean;
}

/** The most bets one planned batch (one chord) may hold. */
export const MAX_BATCH_BETS = 50_000;

/** Bets one `bets/batch` call may carry (purpleflea-api.md §2.2). */
export const MAX_BETS_PER_BATCH = 20;

/**
 * One agent's share of a planned batch that travels in one `bets/batch` call: one stake under consecutive client
 * seeds. Each seed is one logical bet, recorded, reconciled and reported on its own.
 */
export const betBatchArgs = z
  .object({
    agentId,
    /** the call's bet; with `bets`, its first one */
    bet: gameBet,
    /**
     * The bet of each client seed, in seed order, when they differ within the call (`bets/batch` takes mixed
     * bets, e.g. alternating coin-flip sides: purpleflea-api.md §12). Absent: every seed places `bet` (and job
     * rows of earlier versions have none).
     */
    bets: z.array(gameBet).min(1).max(MAX_BETS_PER_BATCH).optional(),
    amount: micros.min(10_000),
    clientSeeds: z
      .array(z.string().min(8).max(64))
      .min(1)
      .max(MAX_BETS_PER_BATCH)
      .refine((seeds) => new Set(seeds).size === seeds.length, "client seeds must be distinct"),
  })
  .refine((a) => a.bets === undefined || a.bets.length === a.clientSeeds.length, {
    message: "bets must list one bet per client seed",
    path: ["bets"],
  });
export type BetBatchArgs = z.infer<typeof betBatchArgs>;

/** A bet the server refused inside a settled batch: nothing moved for it, and it is not sent again. */
export interface RefusedBet {
  clientSeed: string;
  /** pf-fleet's error code (KELLY_LIMIT_EXCEEDED, INSUFFICIENT_BALANCE, …) */
  code: string;
  /** the server's message and its own code, e.g. `Bet exceeds … (kelly_limit_exceeded)` */
  reason: string;
}

/** A bet that stands out in a summary: the best or the worst of a call. */
export interface BetHighlight {
  clientSeed: string;
  betId: string;
  game: string;
  net: number;
}

/**
 * What a bet-batch job returns: the totals of the bets its call placed (micro-USD), each bet's net in seed
 * order, its best and worst bet, and the bets the server refused. Every bet's full receipt is in the ledger
 * under the job's id (job_status shows them); the result does not store them a second time, so a chord of
 * 2,500 calls is summed from small rows.
 */
export interface BetBatchResult {
  agentId: string;
  /** bets placed (recorded in the ledger), refused ones not counted */
  placed: number;
  wins: number;
  losses: number;
  wagered: number;
  returned: number;
  /** Σ (payout − stake) */
  pnl: number;
  /** each placed bet's payout − stake, in seed order */
  nets: number[];
  best: BetHighlight | null;
  worst: BetHighlight | null;
  refused: RefusedBet[];
}

/** A scheduled batch: the task plans and submits a chord inside the risk limits. */
export const placeBatchArgs = z.object({
  bet: gameBet,
  count: z.number().int().min(1).max(MAX_BATCH_BETS),
  amount: micros.min(10_000),
  /** agent ids to spread across; empty = every unpaused fleet agent */
  agentIds: z.array(agentId).default([]),
  priority: z.number().int().min(0).max(9).default(5),
  origin: z.string().default("schedule"),
});

export const verifyBetsArgs = z.object({ agentId, rotate: z.boolean().default(true) });

export const transferArgs = z.object({
  agentId,
  toAgentId: agentId,
  amount: micros.min(10_000),
  memo: z.string().max(200).optional(),
  /** unique; embedded in the memo so reconciliation can find the transfer */
  requestId: z.string().min(8).max(64),
});

export const escrowCreateArgs = z.object({
  /** the creator, whose balance is debited */
  agentId,
  counterpartyAgentId: agentId,
  amount: micros.min(100_000),
  description: z.string().min(3).max(500),
  timeoutHours: z.number().int().min(1).max(720).optional(),
  referralCode: z.string().optional(),
  /** unique; embedded in the description so reconciliation can find the escrow the server created */
  requestId: z.string().min(8).max(64),
});

export const escrowActionArgs = z.object({ agentId, escrowId });

/**
 * How an escrow's work is validated before release.
 * counterparty_completed: the counterparty must have marked it `completed`, waiting up to `wait_seconds`.
 * manual: never released automatically; the chain stops funded and says how to release or dispute.
 */
export const validationPolicy = z.object({
  kind: z.enum(["counterparty_completed", "manual"]).default("counterparty_completed"),
  waitSeconds: z.number().int().min(0).max(3600).default(0),
  /** refuse to release when less than this much time is left before the timeout refund */
  minHoursBeforeTimeout: z.number().min(0).max(720).default(0),
});
export type ValidationPolicy = z.infer<typeof validationPolicy>;

/** chain step 2: `previous` is the escrow.create result */
export const escrowValidateArgs = z.object({
  policy: validationPolicy,
  previous: z.unknown().optional(),
  escrowId: escrowId.optional(),
});
/** chain step 3: `previous` is the escrow.validate result; releases only if it passed */
export const escrowReleaseArgs = z.object({
  agentId,
  escrowId: escrowId.optional(),
  previous: z.unknown().optional(),
  /**
   * One release request. Part of the job's idempotency key, so a chain step that declined to release (or a
   * release that failed) never blocks a later request for the same escrow; the server itself refuses a second
   * release (409), and the ledger credit is recorded once by reference.
   */
  requestId: z.string().min(8).max(64).optional(),
});
export const escrowDisputeArgs = z.object({ agentId, escrowId, reason: z.string().min(10).max(500) });
export const escrowSettleArgs = z.object({
  /** explicit list, or omitted = the fleet's own `completed` escrows that pass validation */
  escrowIds: z.array(escrowId).optional(),
  policy: validationPolicy.default({ kind: "counterparty_completed", waitSeconds: 0, minHoursBeforeTimeout: 0 }),
});

/** escrow.settle's chord callback; `results` is added by the engine (one per release job, in order) */
export const escrowSettleReportArgs = z.object({
  skipped: z.array(z.object({ escrowId: z.string(), status: z.string(), reason: z.string() })).default([]),
  results: z.array(z.unknown()).default([]),
});

export const faucetClaimArgs = z.object({ agentId, referralCode: z.string().optional() });

export const domainRegisterArgs = z.object({
  accountId: z.string().min(3),
  domain: z.string().min(3).max(253),
});

export const balanceCheckArgs = z.object({
  agentIds: z.array(agentId).optional(),
  /** below this balance an agent is "low" and, if still eligible, a faucet claim is queued */
  lowBalance: micros.default(100_000),
  claimFaucetWhenLow: z.boolean().default(true),
});

export const ledgerRefreshArgs = z.object({ agentIds: z.array(agentId).optional() });
export const dailyPnlArgs = z.object({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
});
export const weeklyPnlArgs = z.object({
  week: z
    .string()
    .regex(/^\d{4}-W\d{2}$/)
    .optional(),
});
