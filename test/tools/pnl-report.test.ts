import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listBets, utcDateKey } from "../../src/ledger/index.js";
import { microsToUsd } from "../../src/money.js";
import { ok, startHarness, type ToolHarness, toolError } from "./harness.js";

/** pnl_report over a ledger filled by real batches against the sandbox. */

interface Stats {
  bets: number;
  wins: number;
  pnl_usd: number;
}
interface ReportOut {
  mode: string;
  period: { kind: string; from: string | null; to: string | null };
  totals: Stats;
  by_game: Record<string, Stats>;
  by_agent: Record<string, Stats>;
  days: Array<{ date: string; bets: number }>;
  reconciliation?: Array<{ agent_id: string; ok: boolean; difference_usd: number | null }>;
}

let h: ToolHarness;
let a: string;
let b: string;

beforeAll(async () => {
  h = await startHarness();
  a = await h.agent(20);
  b = await h.agent(20);
  ok(await h.call("place_crash_batch", { cash_out_at: 1.8, count: 8, amount: 0.05, agent_ids: [a, b] }));
  ok(await h.call("place_coinflip_batch", { side: "tails", count: 4, amount: 0.03, agent_ids: [a] }));
});
afterAll(async () => {
  await h?.close();
});

describe("pnl_report", () => {
  it("reports today by game and by agent, matching the ledger's bets", async () => {
    const out = ok<ReportOut>(await h.call("pnl_report", {}));
    const bets = await listBets(h.fleet.deps.storage, { limit: 1000 });
    const sumNet = (rows: typeof bets) => microsToUsd(rows.reduce((n, r) => n + r.net, 0));
    expect(out.period.kind).toBe("today");
    expect(out.totals.bets).toBe(12);
    expect(out.totals.pnl_usd).toBeCloseTo(sumNet(bets), 9);
    expect(out.by_game.crash?.bets).toBe(8);
    expect(out.by_game["coin-flip"]?.bets).toBe(4);
    expect(out.by_agent[a]?.bets).toBe(8);
    expect(out.by_agent[b]?.pnl_usd).toBeCloseTo(sumNet(bets.filter((x) => x.agentId === b)), 9);
    expect(out.days).toEqual([{ date: utcDateKey(Date.now()), bets: 12, pnl_usd: out.totals.pnl_usd }]);
  });

  it("filters by agent, and its text is the ledger's table", async () => {
    const result = await h.call("pnl_report", { period: "all", agent_ids: [b] });
    const out = ok<ReportOut>(result);
    expect(out.totals.bets).toBe(4);
    expect(Object.keys(out.by_agent)).toEqual([b]);
    const text = (result.content as Array<{ text: string }>)[0]?.text ?? "";
    expect(text).toMatch(/PnL report, all time/);
    expect(text).toMatch(/sharpe per bet/);
  });

  it("a past day has no bets", async () => {
    const out = ok<ReportOut>(await h.call("pnl_report", { period: "day", date: "2020-01-01" }));
    expect(out.totals.bets).toBe(0);
    expect(out.period).toEqual({ kind: "day", from: "2020-01-01T00:00:00.000Z", to: "2020-01-02T00:00:00.000Z" });
  });

  it("reconciles the local ledger with each agent's server balance", async () => {
    const out = ok<ReportOut>(await h.call("pnl_report", { period: "week", reconcile: true }));
    expect(out.reconciliation).toEqual([
      {
        agent_id: a,
        ok: true,
        difference_usd: 0,
        unattributed_usd: 0,
        local_usd: expect.any(Number),
        server_usd: expect.any(Number),
      },
      {
        agent_id: b,
        ok: true,
        difference_usd: 0,
        unattributed_usd: 0,
        local_usd: expect.any(Number),
        server_usd: expect.any(Number),
      },
    ]);
  });

  it("refuses fields that do not belong to the period, before reading anything", async () => {
    const requests = h.requests();
    expect(toolError(await h.call("pnl_report", { period: "today", date: "2026-01-01" })).code).toBe("INVALID_INPUT");
    expect(toolError(await h.call("pnl_report", { period: "range", from: "2026-01-02" })).code).toBe("INVALID_INPUT");
    expect(toolError(await h.call("pnl_report", { period: "day", date: "2026-02-30" })).code).toBe("INVALID_INPUT");
    expect(h.requests()).toBe(requests);
  });
});
