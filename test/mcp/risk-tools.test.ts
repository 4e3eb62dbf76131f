import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK } from "../../src/jobs/tasks/args.js";
import { type Harness, ok, rowCounts, startHarness, toolError } from "./harness.js";

interface Limits {
  max_bet_usd: number;
  max_batch_usd: number;
  daily_loss_limit_usd: number;
  fleet_daily_loss_limit_usd: number;
}
interface RiskOut {
  mode: string;
  configured: Limits;
  effective: Limits;
  trading: { fleet_paused: boolean; reason: string | null; paused_agents: string[] };
  agents: Array<{ agent_id: string; limits: Limits; loss_headroom_usd: number }>;
}

let h: Harness;
let agentId: string;

beforeAll(async () => {
  h = await startHarness({ PF_MAX_BET_USD: "2", PF_MAX_BATCH_USD: "8", PF_DAILY_LOSS_LIMIT_USD: "4" });
  agentId = ok<{ agent: { agent_id: string } }>(await h.call("register_agent", {})).agent.agent_id;
  h.fleet.deps.sandbox!.fund(agentId, 20);
});
afterAll(async () => h?.close());

describe("get_risk_limits", () => {
  it("shows the operator's limits, today's headroom and the pause state", async () => {
    const out = ok<RiskOut>(await h.call("get_risk_limits"));
    expect(out.configured).toEqual({
      max_bet_usd: 2,
      max_batch_usd: 8,
      daily_loss_limit_usd: 4,
      fleet_daily_loss_limit_usd: 20,
    });
    expect(out.effective).toEqual(out.configured);
    expect(out.trading.fleet_paused).toBe(false);
    expect(out.agents).toEqual([expect.objectContaining({ agent_id: agentId, loss_headroom_usd: 4 })]);
  });
});

describe("limits cannot be raised", () => {
  it("lowers a limit, then refuses any raise with LIMIT_EXCEEDED and writes nothing (not even the pause)", async () => {
    const lowered = ok<{ effective: Limits; trading: { fleet_paused: boolean } }>(
      await h.call("pause_trading", { reason: "tighten only", pause: false, max_bet_usd: 0.5 }),
    );
    expect(lowered.effective.max_bet_usd).toBe(0.5);
    expect(lowered.trading.fleet_paused).toBe(false);

    const rows = rowCounts(h.fleet);
    for (const args of [
      { reason: "raise it", max_bet_usd: 1 },
      { reason: "raise it", max_batch_usd: 100 },
      { reason: "raise it", agent_id: agentId, daily_loss_limit_usd: 50 },
      { reason: "raise it", fleet_daily_loss_limit_usd: 1000 },
    ]) {
      const err = toolError(await h.call("pause_trading", args));
      expect(err.code).toBe("LIMIT_EXCEEDED");
      expect(err.hint).toMatch(/never raise|cannot be raised/);
    }
    expect(rowCounts(h.fleet)).toEqual(rows);
    const after = ok<RiskOut>(await h.call("get_risk_limits"));
    expect(after.effective.max_bet_usd).toBe(0.5);
    expect(after.trading.fleet_paused).toBe(false);
    expect(after.configured.max_bet_usd).toBe(2);
  });
});

describe("pause_trading and resume_trading", () => {
  it("a paused fleet sends no bet; resuming lets bets through again", async () => {
    const sandbox = h.fleet.deps.sandbox!;
    ok(await h.call("pause_trading", { reason: "drawdown review" }));
    const games = () =>
      Object.entries(sandbox.stats().byRoute)
        .filter(([r]) => r.includes("/games/") || r.includes("/bets/batch"))
        .reduce((n, [, c]) => n + c, 0);
    const before = games();
    const job = await h.fleet.deps.engine.enqueue(TASK.betBatch, {
      agentId,
      bet: { game: "coin-flip", side: "tails" },
      amount: 10_000,
      clientSeeds: [`risk-paused-${Date.now()}`],
    });
    const refused = await h.fleet.deps.engine.wait(job.id, { timeoutMs: 20_000 });
    expect(refused.error?.code).toBe("TRADING_PAUSED");
    expect(games()).toBe(before);

    const resumed = ok<{ trading: { fleet_paused: boolean } }>(await h.call("resume_trading", {}));
    expect(resumed.trading.fleet_paused).toBe(false);
    const again = await h.fleet.deps.engine.enqueue(TASK.betBatch, {
      agentId,
      bet: { game: "coin-flip", side: "tails" },
      amount: 10_000,
      clientSeeds: [`risk-resumed-${Date.now()}`],
    });
    expect((await h.fleet.deps.engine.wait(again.id, { timeoutMs: 20_000 })).state).toBe("succeeded");
  });

  it("pauses one agent and resumes it", async () => {
    const paused = ok<{ trading: { paused_agents: string[] } }>(
      await h.call("pause_trading", { reason: "odd losses", agent_id: agentId }),
    );
    expect(paused.trading.paused_agents).toEqual([agentId]);
    const resumed = ok<{ trading: { paused_agents: string[] } }>(await h.call("resume_trading", { agent_id: agentId }));
    expect(resumed.trading.paused_agents).toEqual([]);
  });

  it("refuses to do nothing", async () => {
    expect(toolError(await h.call("pause_trading", { reason: "noop", pause: false })).code).toBe("INVALID_INPUT");
  });
});
