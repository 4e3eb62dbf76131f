import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listBets } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import { ok, startHarness, type ToolHarness, toolError } from "./harness.js";

/** The three batch tools against the embedded sandbox, through the SDK Client. */

interface BatchOut {
  mode: string;
  status: string;
  job_id: string | null;
  bet: Record<string, unknown>;
  plan: {
    total_stake_usd: number;
    expected_value_usd: number;
    house_edge: number;
    priced_house_edge: number;
    balance_source: string;
    agents: Array<{ agent_id: string; bets: number; kelly_cap_usd: number; within_kelly: boolean }>;
    warnings: string[];
  };
  blocked_by?: { code: string; message: string };
  summary?: {
    total_bets: number;
    wins: number;
    losses: number;
    total_pnl_usd: number;
    failed: number;
    pending: number;
    best: { net_usd: number } | null;
  };
  progress: { done: number; total: number } | null;
}

let h: ToolHarness;
let agents: string[];

beforeAll(async () => {
  h = await startHarness();
  agents = [await h.agent(30), await h.agent(30), await h.agent(30)];
});
afterAll(async () => {
  await h?.close();
});

const sandbox = () => h.fleet.deps.sandbox!;
const balances = () => agents.map((a) => usdToMicros(sandbox().balanceOf(a)));
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
/** Routes the sandbox has seen more often than in `before` (a `stats().byRoute` snapshot). */
const newRoutes = (before: Record<string, number>) =>
  Object.entries(sandbox().stats().byRoute)
    .filter(([route, n]) => n > (before[route] ?? 0))
    .map(([route]) => route);
/** Rows a batch would write (jobs, their events, bets, stake reservations); not the ledger sync's mirror rows. */
const batchRows = () => {
  const all = h.rows();
  return ["jobs", "job_events", "bets", "fleet_reservations", "task_batch_submissions"].map((t) => all[t]);
};

describe("place_crash_batch", () => {
  it("settles a 20-bet batch across 3 agents; its PnL is the ledger's and the balances' change", async () => {
    const before = balances();
    const out = ok<BatchOut>(
      await h.call("place_crash_batch", { cash_out_at: 2, count: 20, amount: 0.1, agent_ids: agents }),
    );
    const after = balances();

    expect(out).toMatchObject({ mode: "sandbox", status: "finished", bet: { game: "crash", cash_out_at: 2 } });
    expect(out.plan.agents.map((a) => a.bets)).toEqual([7, 7, 6]);
    expect(out.summary).toMatchObject({ total_bets: 20, failed: 0, pending: 0 });
    expect(out.summary!.wins + out.summary!.losses).toBe(20);
    expect(out.progress).toEqual({ done: 20, total: 20 });

    const pnl = usdToMicros(out.summary!.total_pnl_usd);
    const ledger = await listBets(h.fleet.deps.storage, { agentIds: agents, limit: 1000 });
    expect(ledger).toHaveLength(20);
    expect(sum(ledger.map((b) => b.net))).toBe(pnl);
    expect(sum(after) - sum(before)).toBe(pnl);
  });

  it("dry_run returns the plan and sends nothing that moves money: only balance reads, no job row", async () => {
    const routes = sandbox().stats().byRoute;
    const rows = batchRows();
    const out = ok<BatchOut>(
      await h.call("place_crash_batch", { cash_out_at: 1.5, count: 9, amount: 0.05, dry_run: true }),
    );
    expect(out.status).toBe("dry_run");
    expect(out.job_id).toBeNull();
    expect(out.plan.total_stake_usd).toBeCloseTo(0.45, 9);
    expect(out.plan.expected_value_usd).toBeLessThan(0);
    expect(out.plan.balance_source).toBe("server");
    expect(out.plan.agents.every((a) => a.kelly_cap_usd > 0.05 && a.within_kelly)).toBe(true);
    expect(out.blocked_by).toBeUndefined();
    // (the ledger sync after the previous test's bets may still be reading GET /auth/ledger meanwhile)
    expect(newRoutes(routes)).toContain("GET /api/v1/auth/balance");
    expect(newRoutes(routes).filter((r) => !r.startsWith("GET "))).toEqual([]);
    expect(batchRows()).toEqual(rows);
  });

  it("refuses a stake above the max bet before anything is sent; the limit cannot be raised by arguments", async () => {
    const requests = h.requests();
    const rows = h.rows();
    const over = toolError(await h.call("place_crash_batch", { cash_out_at: 2, count: 1, amount: 1.5 }));
    expect(over.code).toBe("LIMIT_EXCEEDED");
    expect(over.message).toContain("max bet");

    const raise = toolError(
      await h.call("place_crash_batch", { cash_out_at: 2, count: 1, amount: 1.5, max_bet_usd: 5 }),
    );
    expect(raise.code).toBe("INVALID_INPUT");
    expect(raise.message).toContain("max_bet_usd");

    const batch = toolError(await h.call("place_crash_batch", { cash_out_at: 2, count: 12, amount: 1 }));
    expect(batch.code).toBe("LIMIT_EXCEEDED");
    expect(h.requests()).toBe(requests);
    expect(h.rows()).toEqual(rows);
  });

  it("a dry run shows what would refuse the batch instead of failing", async () => {
    const out = ok<BatchOut>(
      await h.call("place_crash_batch", { cash_out_at: 2, count: 12, amount: 1, dry_run: true }),
    );
    expect(out.blocked_by?.code).toBe("LIMIT_EXCEEDED");
  });
});

describe("place_coinflip_batch", () => {
  it("alternates sides per agent and reports the aggregate", async () => {
    const out = ok<BatchOut>(
      await h.call("place_coinflip_batch", { side: "alternate", count: 4, amount: 0.02, agent_ids: [agents[0]] }),
    );
    expect(out.summary?.total_bets).toBe(4);
    const sides = (
      await listBets(h.fleet.deps.storage, { agentIds: [agents[0]!], game: "coin-flip", order: "asc" })
    ).map((b) => b.params.side);
    expect(sides).toEqual(["heads", "tails", "heads", "tails"]);
  });

  it("refuses a stake above a broke agent's Kelly cap with a funding hint (never ≤ $0.00), and places no bet", async () => {
    const poor = await h.agent(0);
    const settledBefore = sandbox().stats().betsSettled;
    const jobs = h.rows().jobs;
    const err = toolError(
      await h.call("place_coinflip_batch", { side: "heads", count: 2, amount: 0.5, agent_ids: [poor] }),
    );
    expect(err.code).toBe("KELLY_LIMIT_EXCEEDED");
    // its cap is $0.00, below the $0.01 minimum bet: only money helps
    expect(err.hint).toMatch(/fund ag_\w+: claim_faucet .* sandbox_fund_agent/);
    expect(err.hint).not.toMatch(/≤ \$0\.00|\$-/);
    expect(sandbox().stats().betsSettled).toBe(settledBefore);
    expect(h.rows().jobs).toBe(jobs);
    ok(await h.call("pause_trading", { agent_id: poor, reason: "no balance to bet with" }));
  });

  it("refuses while trading is paused, before anything is sent", async () => {
    ok(await h.call("pause_trading", { reason: "testing the kill switch" }));
    try {
      const requests = h.requests();
      const err = toolError(await h.call("place_coinflip_batch", { side: "tails", count: 2, amount: 0.02 }));
      expect(err.code).toBe("TRADING_PAUSED");
      expect(h.requests()).toBe(requests);
      // a dry run reads balances (to price the caps the real run would), and sends nothing else
      const routes = sandbox().stats().byRoute;
      const dry = ok<BatchOut>(
        await h.call("place_coinflip_batch", { side: "tails", count: 2, amount: 0.02, dry_run: true }),
      );
      expect(dry.blocked_by?.code).toBe("TRADING_PAUSED");
      expect(newRoutes(routes).every((r) => r.startsWith("GET "))).toBe(true);
    } finally {
      ok(await h.call("resume_trading", {}));
    }
  });
});

describe("place_dice_batch", () => {
  it("warns in the dry run that dice under is worse than priced", async () => {
    const out = ok<BatchOut>(
      await h.call("place_dice_batch", { direction: "under", threshold: 50, count: 5, amount: 0.02, dry_run: true }),
    );
    expect(out.plan.house_edge).toBeCloseTo(0.0249, 4);
    expect(out.plan.priced_house_edge).toBeCloseTo(0.005, 4);
    expect(out.plan.warnings.join(" ")).toMatch(/real house edge is 2\.49%/);
  });

  it("refuses `under 1`, which can never win", async () => {
    const err = toolError(
      await h.call("place_dice_batch", { direction: "under", threshold: 1, count: 1, amount: 0.02 }),
    );
    expect(err.code).toBe("INVALID_INPUT");
  });

  it("places dice bets over a threshold", async () => {
    const out = ok<BatchOut>(
      await h.call("place_dice_batch", { direction: "over", threshold: 60, count: 6, amount: 0.03 }),
    );
    expect(out.summary?.total_bets).toBe(6);
    expect(out.bet).toEqual({ game: "dice", direction: "over", threshold: 60 });
  });
});

describe("long batches", () => {
  it("returns the job id when not finished within wait_seconds; the batch finishes afterwards", async () => {
    sandbox().setFaults({ latencyMs: 100 });
    try {
      const out = ok<BatchOut>(
        await h.call("place_crash_batch", { cash_out_at: 3, count: 30, amount: 0.01, wait_seconds: 0 }),
      );
      expect(out.status).toBe("running");
      expect(out.job_id).toBeTruthy();
      let state = "";
      for (let i = 0; i < 100 && !["succeeded", "failed", "cancelled"].includes(state); i++) {
        const status = ok<{ job: { state: string } }>(
          await h.call("job_status", { job_id: out.job_id, wait_seconds: 5 }),
        );
        state = status.job.state;
      }
      expect(state).toBe("succeeded");
      const row = await h.fleet.deps.engine.get(out.job_id!);
      expect(row?.result).toMatchObject({ totalBets: 30 });
    } finally {
      sandbox().setFaults(null);
    }
  });

  it("sends progress notifications while it waits", async () => {
    // Each bets/batch call takes ≥ 200 ms, so the batch outlasts the first (100 ms) progress tick.
    sandbox().setFaults({ latencyMs: 200 });
    try {
      const seen: Array<{ progress: number; total?: number }> = [];
      const out = ok<BatchOut>(
        await h.call(
          "place_coinflip_batch",
          { side: "heads", count: 60, amount: 0.01 },
          { onprogress: (p) => seen.push(p), timeout: 60_000 },
        ),
      );
      expect(out.status).toBe("finished");
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((p) => p.total !== undefined && p.total >= 60)).toBe(true);
      const values = seen.map((p) => p.progress);
      expect([...values].sort((a, b) => a - b)).toEqual(values);
    } finally {
      sandbox().setFaults(null);
    }
  });

  it("cancel_job stops a running batch: unsent bets never reach the server, sent ones are all in the ledger", async () => {
    sandbox().setFaults({ latencyMs: 150 });
    try {
      const settledBefore = sandbox().stats().betsSettled;
      const ledgerBefore = (await listBets(h.fleet.deps.storage, { limit: 10_000 })).length;
      const out = ok<BatchOut>(
        await h.call("place_crash_batch", { cash_out_at: 2, count: 200, amount: 0.01, wait_seconds: 0 }),
      );
      ok(await h.call("cancel_job", { job_id: out.job_id, reason: "test: stop the batch" }));
      const done = await h.fleet.deps.engine.wait(out.job_id!, { timeoutMs: 30_000 });
      expect(done.state).toBe("cancelled");
      await quiesce(out.job_id!);
      const placed = sandbox().stats().betsSettled - settledBefore;
      expect(placed).toBeLessThan(200);
      expect((await listBets(h.fleet.deps.storage, { limit: 10_000 })).length - ledgerBefore).toBe(placed);
    } finally {
      sandbox().setFaults(null);
    }
  });

  it("an aborted request with cancel_on_abort cancels the batch", async () => {
    sandbox().setFaults({ latencyMs: 150 });
    try {
      const abort = new AbortController();
      const call = h.call(
        "place_crash_batch",
        { cash_out_at: 2, count: 200, amount: 0.01, cancel_on_abort: true },
        { signal: abort.signal, onprogress: () => abort.abort() },
      );
      await expect(call).rejects.toThrow();
      const chord = await waitForCancelledChord();
      expect(chord).toBe("cancelled");
    } finally {
      sandbox().setFaults(null);
    }
  });
});

/** Members already running when a batch is cancelled finish (or are reconciled); wait until none is left. */
async function quiesce(chordId: string): Promise<void> {
  const { engine } = h.fleet.deps;
  for (let i = 0; i < 200; i++) {
    const open = (await engine.list({ canvasId: chordId, state: ["queued", "running", "retrying"], limit: 1 })).jobs;
    if (open.length === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`members of ${chordId} never finished`);
}

async function waitForCancelledChord(): Promise<string> {
  const { engine } = h.fleet.deps;
  for (let i = 0; i < 200; i++) {
    const row = (await engine.list({ task: "chord", limit: 1 })).jobs[0];
    if (row && ["cancelled", "succeeded", "failed"].includes(row.state)) return row.state;
    await new Promise((r) => setTimeout(r, 50));
  }
  return "timeout";
}
