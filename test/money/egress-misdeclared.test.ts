/**
 * Two processes that share one public IP but are wrongly given two egress ids: each thinks it has the API's whole
 * per-IP budget, so together they send more than the server admits from that IP. That must degrade, not break:
 * the server's 429s wait out its window without spending an attempt, and every bet still settles once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BetAggregate } from "../../src/jobs/index.js";
import { loadBankrolls, planBatch, submitBatch, TASK } from "../../src/jobs/tasks/index.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, agreement, type Fleet, settled, startFleet } from "./harness.js";

const AGENTS = 7;
/** 10 calls of 20 bets per agent: the per-agent limit; 70 calls in all, where the IP admits 60 a minute */
const CALLS = AGENTS * 10;

describe("two processes on one IP wrongly declared as two egresses", () => {
  let sandbox: RunningSandbox;
  let a: Fleet;
  let b: Fleet;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: true });
    a = await startFleet({ sandbox, start: false, rateLimits: true, engine: { egressId: "declared-a" } });
    b = await startFleet({
      sandbox,
      dbPath: a.dbPath,
      start: false,
      rateLimits: true,
      engine: { egressId: "declared-b" },
    });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await sandbox?.close();
  });

  it("overruns the server's per-IP limit, waits out its 429s without spending attempts, and settles every bet once", async () => {
    const agents: string[] = [];
    for (let i = 0; i < AGENTS; i++) agents.push(await addAgent(a, sandbox, 100));
    const plan = planBatch({
      bet: { game: "coin-flip", side: "heads" },
      count: CALLS * 20,
      amount: usdToMicros(0.01),
      agents: await loadBankrolls(a.deps, agents),
    });
    sandbox.resetStats();
    const chord = await submitBatch(a.deps, plan);
    await Promise.all([a.engine.start(), b.engine.start()]);
    const done = await settled(a.engine, chord.id, 100_000);
    const stats = sandbox.stats();

    expect(done.state).toBe("succeeded");
    expect((done.result as BetAggregate).totalBets).toBe(CALLS * 20);
    // the server refused what went past its 60 a minute from this IP; those calls were sent again later
    const refused = stats.rateLimited["bets-ip"] ?? 0;
    expect(refused).toBeGreaterThan(0);
    expect(stats.byRoute["POST /api/v1/bets/batch"]).toBe(CALLS + refused);
    const members = (await a.engine.list({ canvasId: chord.id, task: TASK.betBatch, limit: 500 })).jobs;
    expect(members).toHaveLength(CALLS);
    for (const m of members) expect(m.attempts, m.id).toBe(1);

    const agreed = await agreement(a.storage, a.fleet, a.client, sandbox, agents);
    expect(agreed.serverBets).toHaveLength(CALLS * 20);
    expect(agreed.seedsPlacedTwice).toEqual([]);
    expect(agreed.onlyOnServer).toEqual([]);
    expect(agreed.onlyInLedger).toEqual([]);
    for (const x of agreed.balances) expect(x.local, x.agentId).toBe(x.server);
  }, 120_000);
});
