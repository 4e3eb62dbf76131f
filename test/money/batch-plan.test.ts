import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { betBatchArgs } from "../../src/jobs/tasks/args.js";
import { betBatches, MAX_BATCH_BETS, planBatch } from "../../src/jobs/tasks/index.js";
import { usdToMicros } from "../../src/money.js";

const agent = (agentId: string, balanceUsd: number, riskFactor = 0.25) => ({
  agentId,
  balance: usdToMicros(balanceUsd),
  riskFactor,
});

describe("planBatch", () => {
  it("spreads bets round-robin with unique client seeds and states the stake per agent", () => {
    const plan = planBatch({
      bet: { game: "coin-flip", side: "heads" },
      count: 7,
      amount: usdToMicros(0.1),
      agents: [agent("ag_aaaaaa", 10), agent("ag_bbbbbb", 10), agent("ag_cccccc", 10)],
      seedPrefix: "plan-test",
    });
    expect(plan.bets.map((b) => b.agentId)).toEqual([
      "ag_aaaaaa",
      "ag_bbbbbb",
      "ag_cccccc",
      "ag_aaaaaa",
      "ag_bbbbbb",
      "ag_cccccc",
      "ag_aaaaaa",
    ]);
    expect(new Set(plan.bets.map((b) => b.clientSeed)).size).toBe(7);
    expect(plan.agents.map((a) => [a.bets, a.stake])).toEqual([
      [3, 300_000],
      [2, 200_000],
      [2, 200_000],
    ]);
    expect(plan.totalStake).toBe(700_000);
  });

  it("prices the bet like the casino: Kelly cap, real edge and expected value", () => {
    // coin flip: cap = round2($10 × 0.25 × 0.5) = $1.25; p = 0.5 at 1.99× → edge 0.5 %
    const flip = planBatch({
      bet: { game: "coin-flip", side: "tails" },
      count: 5,
      amount: usdToMicros(1),
      agents: [agent("ag_aaaaaa", 10)],
    });
    expect(flip.kellyCap).toBe(1_250_000);
    expect(flip.economics.houseEdge).toBeCloseTo(0.005, 10);
    expect(flip.expectedValue).toBe(-25_000); // $5 staked × −0.5 %
    expect(flip.warnings).toEqual([]);

    // dice under 50 is priced at p = 0.50 but wins only 49 % of rolls: edge 2.49 %, and the plan says so
    const under = planBatch({
      bet: { game: "dice", direction: "under", threshold: 50 },
      count: 10,
      amount: usdToMicros(0.5),
      agents: [agent("ag_aaaaaa", 10)],
    });
    expect(under.economics.pricedHouseEdge).toBeCloseTo(0.005, 10);
    expect(under.economics.houseEdge).toBeCloseTo(0.0249, 10);
    expect(under.expectedValue).toBe(-124_500);
    expect(under.warnings.some((w) => w.includes("(t−1)/100"))).toBe(true);
  });

  it("flags an agent whose balance cannot carry the stake under its Kelly cap", () => {
    const plan = planBatch({
      bet: { game: "crash", cash_out_at: 2 },
      count: 4,
      amount: usdToMicros(0.2),
      agents: [agent("ag_aaaaaa", 1), agent("ag_bbbbbb", 100)],
    });
    // $1 × 0.25 × 0.4975 = $0.124… → $0.12
    expect(plan.agents.map((a) => [a.kellyCap, a.withinKelly])).toEqual([
      [120_000, false],
      [12_440_000, true],
    ]);
    expect(plan.warnings.join(" ")).toMatch(/ag_aaaaaa: stake \$0\.20 is above its Kelly cap \$0\.12/);
  });

  it("refuses what can never be sent, naming the value", () => {
    const base = {
      bet: { game: "coin-flip" as const, side: "heads" as const },
      amount: 10_000,
      agents: [agent("ag_aaaaaa", 1)],
    };
    expect(() => planBatch({ ...base, count: 0 })).toThrow(`count must be an integer 1–${MAX_BATCH_BETS}, got \`0\``);
    expect(() => planBatch({ ...base, count: 1, amount: 9_999 })).toThrow("got `9999`");
    expect(() => planBatch({ ...base, count: 1, agents: [] })).toThrow("at least one agent");
    expect(() => planBatch({ ...base, count: 2, agents: [agent("ag_aaaaaa", 1), agent("ag_aaaaaa", 2)] })).toThrow(
      "listed twice",
    );
  });

  it("for any shape, stakes add up and every bet has its own seed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 9 }), (count, agents) => {
        const plan = planBatch({
          bet: { game: "multiplier", target_multiplier: 3 },
          count,
          amount: 20_000,
          agents: Array.from({ length: agents }, (_, i) => agent(`ag_${String(i).padStart(6, "0")}`, 50)),
        });
        expect(plan.bets).toHaveLength(count);
        expect(new Set(plan.bets.map((b) => b.clientSeed)).size).toBe(count);
        expect(plan.agents.reduce((s, a) => s + a.stake, 0)).toBe(plan.totalStake);
        expect(plan.agents.reduce((s, a) => s + a.bets, 0)).toBe(count);
      }),
      { numRuns: 60 },
    );
  });
});

describe("betBatches", () => {
  const side = (agentBet: number): "heads" | "tails" => (agentBet % 2 === 0 ? "heads" : "tails");
  const alternate = (agentBet: number) => ({ game: "coin-flip" as const, side: side(agentBet) });

  it("puts one agent's 40 alternating flips in 2 calls of 20, each seed with its own side", () => {
    const plan = planBatch({
      bet: alternate(0),
      betAt: alternate,
      count: 40,
      amount: 20_000,
      agents: [agent("ag_aaaaaa", 30)],
      seedPrefix: "alt-test",
    });
    const calls = betBatches(plan);
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.clientSeeds.length)).toEqual([20, 20]);
    expect(calls.flatMap((c) => c.clientSeeds)).toEqual(plan.bets.map((b) => b.clientSeed));
    const sides = calls.flatMap((c) => (c.bets ?? []).map((b) => (b.game === "coin-flip" ? b.side : b.game)));
    expect(sides).toEqual(Array.from({ length: 40 }, (_, i) => side(i)));
    // what the job rows will hold parses as the task's arguments
    for (const c of calls) expect(betBatchArgs.parse(c)).toEqual(c);
  });

  it("alternates per agent across a round-robin, and keeps uniform calls in the compact one-bet shape", () => {
    const two = betBatches(
      planBatch({
        bet: alternate(0),
        betAt: alternate,
        count: 6,
        amount: 20_000,
        agents: [agent("ag_aaaaaa", 30), agent("ag_bbbbbb", 30)],
      }),
    );
    expect(two.map((c) => [c.agentId, c.bets?.map((b) => (b.game === "coin-flip" ? b.side : ""))])).toEqual([
      ["ag_aaaaaa", ["heads", "tails", "heads"]],
      ["ag_bbbbbb", ["heads", "tails", "heads"]],
    ]);
    const uniform = betBatches(
      planBatch({
        bet: { game: "crash", cash_out_at: 2 },
        count: 25,
        amount: 20_000,
        agents: [agent("ag_aaaaaa", 30)],
      }),
    );
    expect(uniform.map((c) => c.clientSeeds.length)).toEqual([20, 5]);
    expect(uniform.every((c) => !("bets" in c))).toBe(true);
  });

  it("refuses variants the plan cannot price as one bet, and calls whose bets do not match their seeds", () => {
    expect(() =>
      planBatch({
        bet: { game: "dice", direction: "over", threshold: 50 },
        betAt: (i) => ({ game: "dice", direction: i % 2 === 0 ? "over" : "under", threshold: 50 }),
        count: 4,
        amount: 20_000,
        agents: [agent("ag_aaaaaa", 30)],
      }),
    ).toThrow("priced unlike the batch's bet");
    const bad = betBatchArgs.safeParse({
      agentId: "ag_aaaaaa",
      bet: alternate(0),
      bets: [alternate(0)],
      amount: 20_000,
      clientSeeds: ["seed-0001", "seed-0002"],
    });
    expect(bad.success).toBe(false);
  });
});
