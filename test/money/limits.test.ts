import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import type { BetBatchResult } from "../../src/jobs/tasks/args.js";
import { loadBankrolls, planBatch, submitBatch, TASK } from "../../src/jobs/tasks/index.js";
import { listBets } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, type Fleet, settled, startFleet } from "./harness.js";

describe("risk limits, the kill switch and Kelly caps stop bets before the sandbox sees them", () => {
  let sandbox: RunningSandbox;
  let f: Fleet;
  let agent: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    f = await startFleet({ sandbox, limits: { maxBet: usdToMicros(0.5), maxBatch: usdToMicros(2) } });
    agent = await addAgent(f, sandbox, 10);
  });
  afterAll(async () => {
    await f?.close();
    await sandbox?.close();
  });

  // A bet-batch job (the member of a planned batch, one bets/batch call) of one bet or of three. (The single-bet
  // task casino.bet is gone: a single bet is a batch of one.)
  const bet = (bets: number, usd: number, clientSeed: string) =>
    f.engine.enqueue(TASK.betBatch, {
      agentId: agent,
      bet: { game: "coin-flip", side: "tails" },
      amount: usdToMicros(usd),
      clientSeeds: Array.from({ length: bets }, (_, i) => `${clientSeed}-${i + 1}`),
    });

  it.each([1, 3])("a paused fleet fails a bet-batch job of %i bet(s) permanently with nothing sent", async (bets) => {
    await f.fleet.pause({ reason: "operator stop" });
    sandbox.resetStats();
    const done = await settled(f.engine, (await bet(bets, 0.1, `paused-${bets}`)).id);
    await f.fleet.resume({});
    expect(done.state).toBe("failed");
    expect(done.error?.code).toBe("TRADING_PAUSED");
    expect(done.attempts).toBe(1);
    expect(sandbox.stats().requests).toBe(0);
    expect(await listBets(f.storage, { agentIds: [agent] })).toEqual([]);
  });

  it.each([1, 3])(
    "a stake above the operator's max bet fails a bet-batch job of %i bet(s) permanently with nothing sent",
    async (bets) => {
      sandbox.resetStats();
      const done = await settled(f.engine, (await bet(bets, 0.75, `too-big-${bets}`)).id);
      expect(done.state).toBe("failed");
      expect(done.error?.code).toBe("LIMIT_EXCEEDED");
      expect(sandbox.stats().requests).toBe(0);
    },
  );

  it("a batch over the batch limit or over an agent's Kelly cap is refused before anything is enqueued", async () => {
    const bankrolls = await loadBankrolls(f.deps, [agent]);
    sandbox.resetStats();
    const queued = async () => (await f.engine.list({ limit: 500 })).jobs.length;
    const before = await queued();

    const overBatch = planBatch({
      bet: { game: "crash", cash_out_at: 2 },
      count: 10,
      amount: usdToMicros(0.3),
      agents: bankrolls,
    });
    await expect(submitBatch(f.deps, overBatch)).rejects.toThrow(expect.objectContaining({ code: "LIMIT_EXCEEDED" }));

    // $10 balance × 0.25 × (0.995 / 50) ≈ $0.05 cap for a 50× target
    const overKelly = planBatch({
      bet: { game: "crash", cash_out_at: 50 },
      count: 2,
      amount: usdToMicros(0.2),
      agents: bankrolls,
    });
    expect(overKelly.agents[0]?.withinKelly).toBe(false);
    let refusal: unknown;
    try {
      await submitBatch(f.deps, overKelly);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(FleetError);
    expect((refusal as FleetError).code).toBe("KELLY_LIMIT_EXCEEDED");
    expect((refusal as FleetError).hint).toContain(`≤ $0.05`);

    expect(await queued()).toBe(before);
    expect(sandbox.stats().requests).toBe(0);
  });

  it("a bet the casino refuses inside a shared batch call fails alone; its neighbours are placed", async () => {
    const poor = await addAgent(f, sandbox, 2.005);
    expect(sandbox.balanceOf(poor)).toBe(2.005);
    sandbox.resetStats();
    // One bets/batch call of two $0.01 bets. The casino checks each bet against the Kelly cap of the balance it
    // has then: dice under 1 is priced at p = 0.01 (cap = round2(balance × 0.25 × 0.01)) and can never win (the
    // die shows 1–100), so the first bet passes at $2.005 (cap $0.01), loses, and leaves $1.995 (cap $0.00),
    // and the casino refuses its neighbour. Every bet of a batch job has one stake, so the refusal comes from
    // the balance the first bet left, not from a bigger stake.
    const job = await f.engine.enqueue(TASK.betBatch, {
      agentId: poor,
      bet: { game: "dice", direction: "under", threshold: 1 },
      amount: 10_000,
      clientSeeds: ["poor-ok-0001", "poor-kelly-0001"],
    });
    const done = await settled(f.engine, job.id);
    // The job succeeds with the placed bet; the refused one is reported on its own, with its code, and not sent
    // again (one attempt, one call).
    expect(done.state).toBe("succeeded");
    expect(done.attempts).toBe(1);
    const result = done.result as BetBatchResult;
    expect(result).toMatchObject({ placed: 1, wins: 0, losses: 1, wagered: 10_000, returned: 0, pnl: -10_000 });
    expect(result.nets).toEqual([-10_000]);
    expect(result.best).toMatchObject({ clientSeed: "poor-ok-0001", net: -10_000 });
    expect(result.refused.map((r) => [r.clientSeed, r.code])).toEqual([["poor-kelly-0001", "KELLY_LIMIT_EXCEEDED"]]);
    expect(result.refused[0]?.reason).toMatch(/\(kelly_limit_exceeded\)$/);
    expect((await listBets(f.storage, { agentIds: [poor] })).map((b) => b.clientSeed)).toEqual(["poor-ok-0001"]);
    expect(sandbox.stats().byRoute["POST /api/v1/bets/batch"]).toBe(1);
    expect(sandbox.balanceOf(poor)).toBeCloseTo(1.995, 10);
  });
});
