import type { z } from "zod";
import type { QueueName } from "../src/config.js";
import { FleetError } from "../src/errors.js";
import {
  balanceCheckArgs,
  dailyPnlArgs,
  escrowSettleArgs,
  ledgerRefreshArgs,
  placeBatchArgs,
  TASK,
  weeklyPnlArgs,
} from "../src/jobs/tasks/args.js";
import { DAY_MS, isoWeekKey, utcDateKey } from "../src/ledger/period.js";
import { describeIssues } from "../src/mcp/tool.js";

/**
 * The tasks a schedule may run, with their argument schemas (src/jobs/tasks/args.ts) so that `set_schedule`
 * rejects bad args before anything is written. `forSlot` fills in arguments that depend on which slot fired,
 * so a summary caught up late still covers the period it was scheduled for.
 */
export interface SchedulableTask {
  args: z.ZodType;
  queue: QueueName;
  /** stakes money (casino bets) */
  money: boolean;
  /**
   * moves the fleet's money without staking it (escrow releases): like a staking task, a schedule created from
   * the chat for it starts disabled (create.ts); the shipped one keeps its own setting
   */
  movesMoney?: true;
  forSlot?: (args: Record<string, unknown>, slot: number) => Record<string, unknown>;
  /**
   * The args that hold money (integer micro-USD), by their name in the task's args: tools take and show them in
   * USD under `name` (tool-args.ts), never in micro-USD.
   */
  usd?: Readonly<Record<string, UsdArg>>;
}

export interface UsdArg {
  /** the name tools use, ending in `_usd` */
  name: string;
  /** the smallest amount the task accepts, USD */
  min: number;
}

export const SCHEDULABLE_TASKS: Readonly<Record<string, SchedulableTask>> = {
  [TASK.balanceCheck]: {
    args: balanceCheckArgs,
    queue: "wallet",
    money: false,
    usd: { lowBalance: { name: "low_balance_usd", min: 0 } },
  },
  [TASK.placeBatch]: {
    args: placeBatchArgs,
    queue: "casino",
    money: true,
    usd: { amount: { name: "amount_usd", min: 0.01 } },
  },
  [TASK.ledgerRefresh]: { args: ledgerRefreshArgs, queue: "analytics", money: false },
  [TASK.dailyPnl]: {
    args: dailyPnlArgs,
    queue: "analytics",
    money: false,
    forSlot: (args, slot) => ({ date: utcDateKey(slot), ...args }),
  },
  [TASK.weeklyPnl]: {
    args: weeklyPnlArgs,
    queue: "analytics",
    money: false,
    // a Monday-morning report covers the ISO week that just ended
    forSlot: (args, slot) => ({ week: isoWeekKey(slot - 7 * DAY_MS), ...args }),
  },
  [TASK.escrowSettle]: { args: escrowSettleArgs, queue: "escrow", money: false, movesMoney: true },
};

/** a task whose schedule, made from the chat, must be enabled by a separate, deliberate set_schedule call */
export const startsDisabled = (def: SchedulableTask): boolean => def.money || def.movesMoney === true;

export function schedulableTask(task: string): SchedulableTask {
  const def = SCHEDULABLE_TASKS[task];
  if (!def) {
    throw new FleetError(
      "INVALID_INPUT",
      `task \`${task}\` cannot be scheduled; schedulable tasks: ${Object.keys(SCHEDULABLE_TASKS).join(", ")}`,
    );
  }
  return def;
}

/** Validates args for a task; INVALID_INPUT naming each bad field. Returns the parsed (defaulted) args. */
export function parseTaskArgs(task: string, args: unknown): Record<string, unknown> {
  const parsed = schedulableTask(task).args.safeParse(args);
  if (!parsed.success) {
    throw new FleetError("INVALID_INPUT", `args for ${task}: ${describeIssues(parsed.error, args)}`, {
      hint: "amounts in task args are integer micro-USD (10000 = $0.01); nothing was changed",
    });
  }
  return parsed.data as Record<string, unknown>;
}
