import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
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

  // A single-bet job, or a bet-batch job (the members of a planned batch) of three bets.
  const bet = (task: string, usd: number, clientSeed: string) => {
    const common = { agentId: agent, bet: { game: "coin-flip", side: "tails" }, amount: usdToMicros(usd) };
    return task === TASK.bet
      ? f.engine.enqueue(task, { ...common, clientSeed })
      : f.engine.enqueue(task, { ...common, clientSeeds: [1, 2, 3].map((i) => `${clientSeed}-${i}`) });
  };

  it.each([TASK.bet, TASK.betBatch])("a paused fleet fails a %s job permanently with nothing sent", async (task) => {
    f.fleet.pause({ reason: "operator stop" });
    sandbox.resetStats();
    const done = await settled(f.engine, bet(task, 0.1, `paused-${task}`).id);
    f.fleet.resume({});
    expect(done.state).toBe("failed");
    expect(done.error?.code).toBe("TRADING_PAUSED");
    expect(done.attempts).toBe(1);
    expect(sandbox.stats().requests).toBe(0);
    expect(listBets(f.db, { agentIds: [agent] })).toEqual([]);
  });

  it.each([TASK.bet, TASK.betBatch])(
    "a stake above the operator's max bet fails a %s job permanently with nothing sent",
    async (task) => {
      sandbox.resetStats();
      const done = await settled(f.engine, bet(task, 0.75, `too-big-${task}`).id);
      expect(done.state).toBe("failed");
      expect(done.error?.code).toBe("LIMIT_EXCEEDED");
      expect(sandbox.stats().requests).toBe(0);
    },
  );

  it("a batch over the batch limit or over an agent's Kelly cap is refused before anything is enqueued", async () => {
    const bankrolls = await loadBankrolls(f.deps, [agent]);
    sandbox.resetStats();
    const queued = () => f.engine.list({ limit: 500 }).jobs.length;
    const before = queued();

    const overBatch = planBatch({
      bet: { game: "crash", cash_out_at: 2 },
      count: 10,
      amount: usdToMicros(0.3),
      agents: bankrolls,
    });
    expect(() => submitBatch(f.deps, overBatch)).toThrow(expect.objectContaining({ code: "LIMIT_EXCEEDED" }));

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
      submitBatch(f.deps, overKelly);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(FleetError);
    expect((refusal as FleetError).code).toBe("KELLY_LIMIT_EXCEEDED");
    expect((refusal as FleetError).hint).toContain(`≤ $0.05`);

    expect(queued()).toBe(before);
    expect(sandbox.stats().requests).toBe(0);
  });

  it("a bet the casino refuses inside a shared batch call fails alone; its neighbours are placed", async () => {
    const poor = await addAgent(f, sandbox, 0.2);
    sandbox.resetStats();
    const jobs = [
      f.engine.enqueue(TASK.bet, {
        agentId: poor,
        bet: { game: "coin-flip", side: "heads" },
        amount: 10_000,
        clientSeed: "poor-ok-0001",
      }),
      // 0.5 × balance would exceed the Kelly cap of 12.5% of $0.20
      f.engine.enqueue(TASK.bet, {
        agentId: poor,
        bet: { game: "coin-flip", side: "heads" },
        amount: 100_000,
        clientSeed: "poor-kelly-0001",
      }),
    ];
    const [ok, refused] = await Promise.all(jobs.map((j) => settled(f.engine, j.id)));
    expect(ok?.state).toBe("succeeded");
    expect(refused?.state).toBe("failed");
    expect(refused?.error?.code).toBe("KELLY_LIMIT_EXCEEDED");
    expect(refused?.attempts).toBe(1);
    expect(listBets(f.db, { agentIds: [poor] }).map((b) => b.clientSeed)).toEqual(["poor-ok-0001"]);
    expect(sandbox.stats().byRoute["POST /api/v1/bets/batch"]).toBe(1);
  });
});
