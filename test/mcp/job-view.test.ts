import { describe, expect, it } from "vitest";
import type { JobRow } from "../../src/jobs/types.js";
import { jobView, moneyInUsd } from "../../src/mcp/job-view.js";

/** Job views show money in USD under `_usd` names; the rows keep integer micro-USD. */

function row(task: string, args: unknown, result: unknown): JobRow {
  return {
    id: "job_1",
    task,
    queue: "casino",
    state: "succeeded",
    priority: 5,
    args,
    result,
    error: null,
    attempts: 1,
    maxAttempts: 3,
    moneyState: null,
    idempotencyKey: null,
    parentId: null,
    canvasId: null,
    progress: null,
    createdAt: 0,
    dueAt: 0,
    expiresAt: null,
    startedAt: 0,
    finishedAt: 1,
    leaseOwner: null,
    leaseExpiresAt: null,
  };
}

describe("job views in USD", () => {
  it("shows a bet batch's args and (an earlier version's) receipts in USD, and leaves the row alone", () => {
    const args = { agentId: "ag_1a2b3c", bet: { game: "crash", cash_out_at: 2 }, amount: 250_000, clientSeeds: ["s1"] };
    const result = {
      agentId: "ag_1a2b3c",
      bets: [
        { clientSeed: "s1", betId: "b1", game: "crash", stake: 250_000, payout: 500_000, net: 250_000, won: true },
      ],
      refused: [],
    };
    const job = row("casino.bet_batch", args, result);
    const view = jobView(job);
    expect(view.args).toEqual({
      agentId: "ag_1a2b3c",
      bet: { game: "crash", cash_out_at: 2 },
      amount_usd: 0.25,
      clientSeeds: ["s1"],
    });
    expect(view.result).toEqual({
      agentId: "ag_1a2b3c",
      bets: [
        { clientSeed: "s1", betId: "b1", game: "crash", stake_usd: 0.25, payout_usd: 0.5, net_usd: 0.25, won: true },
      ],
      refused: [],
    });
    expect(job.args).toBe(args);
    expect(args.amount).toBe(250_000);
  });

  it("shows a bet batch's totals and each bet's net in USD", () => {
    const best = { clientSeed: "s1", betId: "b1", game: "crash", net: 250_000 };
    const worst = { clientSeed: "s2", betId: "b2", game: "crash", net: -250_000 };
    const result = {
      agentId: "ag_1a2b3c",
      placed: 2,
      wins: 1,
      losses: 1,
      wagered: 500_000,
      returned: 500_000,
      pnl: 0,
      nets: [250_000, -250_000],
      best,
      worst,
      refused: [],
    };
    expect(jobView(row("casino.bet_batch", {}, result)).result).toEqual({
      agentId: "ag_1a2b3c",
      placed: 2,
      wins: 1,
      losses: 1,
      wagered_usd: 0.5,
      returned_usd: 0.5,
      pnl_usd: 0,
      nets_usd: [0.25, -0.25],
      best: { clientSeed: "s1", betId: "b1", game: "crash", net_usd: 0.25 },
      worst: { clientSeed: "s2", betId: "b2", game: "crash", net_usd: -0.25 },
      refused: [],
    });
    // a list under a money name that is not all whole micro-USD is left as it is
    expect(moneyInUsd("x", { nets: [1, "two"] })).toEqual({ nets: [1, "two"] });
  });

  it("converts money wherever it sits: chain steps' `previous`, escrow results, aggregates", () => {
    expect(
      moneyInUsd("escrow.validate", {
        policy: { kind: "manual", waitSeconds: 0, minHoursBeforeTimeout: 0 },
        previous: { escrowId: "esc_1234", amount: 1_000_000, commission: 10_000, netToCounterparty: 990_000 },
      }),
    ).toEqual({
      policy: { kind: "manual", waitSeconds: 0, minHoursBeforeTimeout: 0 },
      previous: { escrowId: "esc_1234", amount_usd: 1, commission_usd: 0.01, net_to_counterparty_usd: 0.99 },
    });
    expect(
      moneyInUsd("aggregate_bet_results", {
        totalBets: 2,
        wagered: 20_000,
        returned: 19_800,
        totalPnl: -200,
        best: { jobId: "j", clientSeed: "s", betId: "b", game: "dice", net: 9_800 },
        worst: null,
      }),
    ).toEqual({
      totalBets: 2,
      wagered_usd: 0.02,
      returned_usd: 0.0198,
      total_pnl_usd: -0.0002,
      best: { jobId: "j", clientSeed: "s", betId: "b", game: "dice", net_usd: 0.0098 },
      worst: null,
    });
    expect(moneyInUsd("escrow.settle_report", { settled: [{ escrowId: "esc_1", amountReleased: 495_000 }] })).toEqual({
      settled: [{ escrowId: "esc_1", amount_released_usd: 0.495 }],
    });
  });

  it("keeps a PnL summary's times and counts, and its empty averages as null USD", () => {
    expect(
      moneyInUsd("pnl.daily_summary", {
        kind: "daily",
        from: 1_700_000_000_000,
        report: {
          totals: { bets: 0, pnl: 0 },
          days: [{ date: "2026-11-23", pnl: -50_000, bets: 3 }],
          averageDailyPnl: null,
        },
      }),
    ).toEqual({
      kind: "daily",
      from: 1_700_000_000_000,
      report: {
        totals: { bets: 0, pnl_usd: 0 },
        days: [{ date: "2026-11-23", pnl_usd: -0.05, bets: 3 }],
        average_daily_pnl_usd: null,
      },
    });
  });

  it("reads `server`, `local` and `difference` as money only in a balance check", () => {
    const check = {
      agents: [{ agentId: "ag_1", server: 1_500_000, local: 1_000_000, difference: 500_000, low: false }],
    };
    expect(moneyInUsd("wallet.balance_check", check)).toEqual({
      agents: [{ agentId: "ag_1", server_usd: 1.5, local_usd: 1, difference_usd: 0.5, low: false }],
    });
    expect(moneyInUsd("wallet.balance_check", { lowBalance: 100_000 })).toEqual({ low_balance_usd: 0.1 });
    expect(moneyInUsd("ledger.refresh", { agents: [{ agentId: "ag_1", server: 3 }] })).toEqual({
      agents: [{ agentId: "ag_1", server: 3 }],
    });
  });

  it("passes through what is not micro-USD", () => {
    expect(moneyInUsd("casino.verify_bets", null)).toBeNull();
    expect(moneyInUsd("x", { amount: "10000", note: [1, 2] })).toEqual({ amount: "10000", note: [1, 2] });
  });
});
