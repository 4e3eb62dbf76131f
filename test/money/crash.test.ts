import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGGREGATE_BET_RESULTS, type BetAggregate } from "../../src/jobs/index.js";
import { loadBankrolls, planBatch, submitBatch } from "../../src/jobs/tasks/index.js";
import { listBets } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, agreement, type Fleet, settled, startFleet } from "./harness.js";
import { startWorker, stopWorker, type Worker } from "./processes.js";

const BETS = 300;

describe("a worker killed mid-batch (SIGKILL) while the sandbox drops answers", () => {
  let sandbox: RunningSandbox;
  let f: Fleet;
  let first: Worker | undefined;
  let second: Worker | undefined;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    // The test process only enqueues and inspects; the workers run the jobs.
    f = await startFleet({ sandbox, start: false });
  });
  afterAll(async () => {
    first?.child.kill("SIGKILL");
    await stopWorker(second);
    await f?.close();
    await sandbox?.close();
  });

  it("recovers in a new process: server and ledger agree exactly, the callback ran once", async () => {
    const agents = [];
    for (let i = 0; i < 3; i++) agents.push(await addAgent(f, sandbox, 100));
    const plan = planBatch({
      bet: { game: "coin-flip", side: "heads" },
      count: BETS,
      amount: usdToMicros(0.03),
      agents: await loadBankrolls(f.deps, agents),
    });
    const chord = await submitBatch(f.deps, plan);
    // Answers lost after the money moved, and latency so that calls are in flight when the worker dies.
    // (seed 11 drops the 7th and 32nd money request, so a drop always happens.)
    sandbox.setFaults({ drop: 0.1, latencyMs: 40, scope: "money", seed: 11 });

    // Two bets/batch calls of 20 in flight at a time, so the kill lands between calls and during them.
    first = await startWorker({ dbPath: f.dbPath, sandbox, concurrency: { casino: 2 } });
    while (sandbox.stats().betsSettled < BETS / 4) await sleep(2);
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    const settledAtCrash = sandbox.stats().betsSettled;
    expect(settledAtCrash).toBeLessThan(BETS);

    second = await startWorker({ dbPath: f.dbPath, sandbox, concurrency: { casino: 2 } });
    const done = await settled(f.engine, chord.id, 90_000);
    await stopWorker(second);
    sandbox.setFaults(null);

    expect(done.state).toBe("succeeded");
    const callbacks = (await f.engine.list({ task: AGGREGATE_BET_RESULTS, canvasId: chord.id })).jobs;
    expect(callbacks).toHaveLength(1);
    const summary = done.result as BetAggregate;
    expect(summary.failed).toEqual([]);
    expect(summary.totalBets).toBe(BETS);

    const a = await agreement(f.storage, f.fleet, f.client, sandbox, agents);
    expect(a.serverBets).toHaveLength(BETS);
    expect(a.seedsPlacedTwice).toEqual([]);
    expect(a.onlyOnServer).toEqual([]);
    expect(a.onlyInLedger).toEqual([]);
    expect(a.betIdMismatches).toEqual([]);
    for (const b of a.balances) expect(b.local, b.agentId).toBe(b.server);
    expect(new Set(a.serverBets.map((b) => b.clientSeed))).toEqual(new Set(plan.bets.map((b) => b.clientSeed)));

    // The chord's PnL is the ledger's, which is the server's balance change.
    const ledger = await listBets(f.storage, { agentIds: agents, limit: 10_000 });
    expect(summary.totalPnl).toBe(ledger.reduce((s, b) => s + b.net, 0));
    // Both kinds of lost answer were exercised: some receipts came from reconciliation, not a response.
    expect(sandbox.stats().faults.drop).toBeGreaterThan(0);
    expect(ledger.some((b) => b.source === "reconciled")).toBe(true);
  }, 120_000);
});
