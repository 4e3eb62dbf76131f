import { TASK } from "../src/jobs/tasks/args.js";
import type { CatchUpPolicy } from "./types.js";

/**
 * The schedule pf-fleet ships with: the seed's Celery Beat table mapped onto the real API and pf-fleet's task
 * names. Seeded once (a name already present is left alone, so operator edits persist). Money schedules are
 * shipped disabled and use the smallest stakes; the seed's $0.50 coin flips would exceed the Kelly cap of a
 * faucet-funded agent, so the midday batch is scaled down like the hourly one.
 */
export interface ScheduleSeed {
  name: string;
  description: string;
  task: string;
  args: Record<string, unknown>;
  cron?: string;
  intervalSeconds?: number;
  enabled: boolean;
  catchUp: CatchUpPolicy;
  expirySeconds: number | null;
}

export const DEFAULT_SCHEDULES: readonly ScheduleSeed[] = [
  {
    name: "wallet-balance-check",
    description:
      "every 5 min: each fleet agent's casino balance, stored for the dashboard; a low agent still eligible for the faucet gets a claim queued",
    task: TASK.balanceCheck,
    args: {},
    intervalSeconds: 300,
    enabled: true,
    catchUp: "skip",
    expirySeconds: 240,
  },
  {
    name: "hourly-crash-batch",
    description:
      "top of every hour: 10 crash bets of $0.01 cashing out at 1.5×, spread over the fleet, inside the risk limits",
    task: TASK.placeBatch,
    args: { bet: { game: "crash", cash_out_at: 1.5 }, count: 10, amount: 10_000 },
    cron: "0 * * * *",
    enabled: false,
    catchUp: "skip",
    expirySeconds: 3300,
  },
  {
    name: "midday-coinflip-batch",
    description: "12:00 UTC: 5 coin flips of $0.01 on heads, spread over the fleet, inside the risk limits",
    task: TASK.placeBatch,
    args: { bet: { game: "coin-flip", side: "heads" }, count: 5, amount: 10_000 },
    cron: "0 12 * * *",
    enabled: false,
    catchUp: "skip",
    expirySeconds: 3300,
  },
  {
    name: "daily-ledger-refresh",
    description: "01:00 UTC: refresh every agent's transaction history and ledger from the server's records",
    task: TASK.ledgerRefresh,
    args: {},
    cron: "0 1 * * *",
    enabled: true,
    catchUp: "latest",
    expirySeconds: null,
  },
  {
    name: "daily-pnl-summary",
    description: "23:55 UTC: the day's PnL summary from the ledger (backs pnl://daily/{date})",
    task: TASK.dailyPnl,
    args: {},
    cron: "55 23 * * *",
    enabled: true,
    catchUp: "latest",
    expirySeconds: null,
  },
  {
    name: "weekly-pnl-report",
    description: "Monday 06:00 UTC: PnL report of the ISO week that just ended (backs pnl://weekly)",
    task: TASK.weeklyPnl,
    args: {},
    cron: "0 6 * * MON",
    enabled: true,
    catchUp: "latest",
    expirySeconds: null,
  },
  {
    name: "weekly-escrow-settlement",
    description:
      "Sunday 22:00 UTC: release the fleet's `completed` escrows whose validation passes; reports settled and failed",
    task: TASK.escrowSettle,
    args: {},
    cron: "0 22 * * SUN",
    enabled: true,
    catchUp: "latest",
    expirySeconds: null,
  },
];
