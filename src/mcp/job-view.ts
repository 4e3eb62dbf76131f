import { z } from "zod";
import { TASK } from "../jobs/tasks/args.js";
import type { JobEvent, JobRow } from "../jobs/types.js";
import { getBetsByJobIds } from "../ledger/index.js";
import type { StoredBet } from "../ledger/types.js";
import { redactSecrets } from "../log.js";
import { microsToUsd } from "../money.js";
import type { Executor } from "../storage/types.js";

/**
 * How a job looks to a tool caller or a resource reader: snake_case, ISO times, errors with their code and
 * hint, and money in USD under `_usd` names like every other tool (`amount: 10000` in the row is
 * `amount_usd: 0.01` here). Args and results never hold keys (src/jobs/tasks/args.ts); error text is redacted
 * all the same.
 */

/**
 * Task args and results hold money as integer micro-USD under these names (src/jobs/tasks/args.ts and the
 * tasks' result types); a view shows each in USD under its `_usd` name, wherever it sits (a bet batch's
 * `bets[].stake`, a chain step's `previous.amount`, a PnL summary's `report.totals.pnl`).
 */
const MONEY_FIELDS: Readonly<Record<string, string>> = {
  amount: "amount_usd",
  stake: "stake_usd",
  payout: "payout_usd",
  net: "net_usd",
  wagered: "wagered_usd",
  returned: "returned_usd",
  totalPnl: "total_pnl_usd",
  pnl: "pnl_usd",
  totalStake: "total_stake_usd",
  expectedValue: "expected_value_usd",
  kellyCap: "kelly_cap_usd",
  balance: "balance_usd",
  commission: "commission_usd",
  netToCounterparty: "net_to_counterparty_usd",
  amountReleased: "amount_released_usd",
  credited: "credited_usd",
  charged: "charged_usd",
  lowBalance: "low_balance_usd",
  escrowFees: "escrow_fees_usd",
  faucetIncome: "faucet_income_usd",
  netChange: "net_change_usd",
  averageDailyPnl: "average_daily_pnl_usd",
  maxDrawdown: "max_drawdown_usd",
  /** a bet batch's net of each bet, in seed order */
  nets: "nets_usd",
};

/** Names that are money only in one task's args and result (elsewhere they may mean something else). */
const TASK_MONEY_FIELDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  "wallet.balance_check": { server: "server_usd", local: "local_usd", difference: "difference_usd" },
};

const isMicros = (v: unknown): v is number | null => v === null || Number.isSafeInteger(v);

/**
 * `value` with every micro-USD field (a whole number, null, or a list of whole numbers) shown in USD under its
 * `_usd` name.
 */
export function moneyInUsd(task: string, value: unknown): unknown {
  const extra = TASK_MONEY_FIELDS[task];
  const convert = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(convert);
    if (typeof v !== "object" || v === null) return v;
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(v)) {
      const usdName = Object.hasOwn(MONEY_FIELDS, key) ? MONEY_FIELDS[key] : extra?.[key];
      if (usdName !== undefined && isMicros(field)) {
        out[usdName] = field === null ? null : microsToUsd(field);
      } else if (usdName !== undefined && Array.isArray(field) && field.every(Number.isSafeInteger)) {
        out[usdName] = field.map((n) => microsToUsd(n));
      } else {
        out[key] = convert(field);
      }
    }
    return out;
  };
  return convert(value);
}

const MONEY_NOTE = "money in USD under `_usd` names (amount_usd: 0.01 is one cent)";

const iso = z.string().nullable();

export const jobErrorShape = z
  .object({ code: z.string(), message: z.string(), hint: z.string().optional(), retryable: z.boolean() })
  .nullable();

export const jobProgressShape = z
  .object({ done: z.number(), total: z.number(), message: z.string().optional() })
  .nullable();

export const jobShape = z.object({
  id: z.string(),
  task: z.string(),
  queue: z.string(),
  state: z
    .string()
    .describe("queued, running, retrying, succeeded, failed, dead, cancelled, expired, unknown, waiting"),
  priority: z.number(),
  attempts: z.number(),
  max_attempts: z.number(),
  money_state: z.string().nullable().describe("money jobs: intent, done, not_done or unknown"),
  parent_id: z.string().nullable(),
  canvas_id: z.string().nullable(),
  progress: jobProgressShape,
  error: jobErrorShape,
  args: z.unknown().describe(`the task's arguments; ${MONEY_NOTE}`),
  result: z.unknown().describe(`what the job returned once succeeded, else null; ${MONEY_NOTE}`),
  created_at: z.string(),
  due_at: z.string(),
  started_at: iso,
  finished_at: iso,
});
export type JobView = z.infer<typeof jobShape>;

export const jobEventShape = z.object({
  at: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  reason: z.string(),
});

const time = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function jobView(job: JobRow): JobView {
  return {
    id: job.id,
    task: job.task,
    queue: job.queue,
    state: job.state,
    priority: job.priority,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    money_state: job.moneyState,
    parent_id: job.parentId,
    canvas_id: job.canvasId,
    progress: job.progress,
    error: job.error
      ? {
          code: job.error.code as string,
          message: redactSecrets(String(job.error.message)),
          ...(typeof job.error.hint === "string" ? { hint: job.error.hint } : {}),
          retryable: Boolean(job.error.retryable),
        }
      : null,
    args: moneyInUsd(job.task, job.args),
    result: moneyInUsd(job.task, job.result ?? null),
    created_at: new Date(job.createdAt).toISOString(),
    due_at: new Date(job.dueAt).toISOString(),
    started_at: time(job.startedAt),
    finished_at: time(job.finishedAt),
  };
}

export const jobBetShape = z.object({
  client_seed: z.string(),
  bet_id: z.string(),
  game: z.string(),
  stake_usd: z.number(),
  payout_usd: z.number(),
  net_usd: z.number(),
  won: z.boolean(),
  placed_at: z.string(),
  source: z.string().describe("response: from the call's answer; reconciled: found in the casino's bet export"),
});

/** A bet the ledger holds for a job, as job_status lists it. */
export function jobBetView(b: StoredBet): z.infer<typeof jobBetShape> {
  return {
    client_seed: b.clientSeed,
    bet_id: b.betId,
    game: b.game,
    stake_usd: microsToUsd(b.stake),
    payout_usd: microsToUsd(b.payout),
    net_usd: microsToUsd(b.net),
    won: b.won,
    placed_at: new Date(b.placedAt).toISOString(),
    source: b.source,
  };
}

/**
 * The bets a bet-batch call placed, from the ledger, in the order of its seeds (its result keeps only their
 * totals); undefined for any other job.
 */
export async function jobBetsView(
  storage: Pick<Executor, "ledger">,
  job: JobRow,
): Promise<Array<z.infer<typeof jobBetShape>> | undefined> {
  if (job.task !== TASK.betBatch) return undefined;
  const bets = (await getBetsByJobIds(storage, [job.id])).get(job.id) ?? [];
  const seeds: unknown = (job.args as { clientSeeds?: unknown } | null)?.clientSeeds;
  const order = new Map(Array.isArray(seeds) ? seeds.map((s, i) => [s, i]) : []);
  return bets.sort((a, b) => (order.get(a.clientSeed) ?? 0) - (order.get(b.clientSeed) ?? 0)).map(jobBetView);
}

export function eventView(e: JobEvent) {
  return { at: new Date(e.at).toISOString(), from: e.from, to: e.to, reason: redactSecrets(e.reason) };
}

/** One line for text summaries: `job_123 casino.bet_batch succeeded (attempt 2/5)`. */
export function jobLine(job: JobRow): string {
  const progress = job.progress ? `, ${job.progress.done}/${job.progress.total} done` : "";
  const error = job.error ? ` — ${job.error.code}: ${redactSecrets(String(job.error.message))}` : "";
  return `${job.id} ${job.task} ${job.state} (attempt ${job.attempts}/${job.maxAttempts}${progress})${error}`;
}
