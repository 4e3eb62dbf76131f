import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TransferResult } from "../../src/jobs/tasks/casino-transfer.js";
import { TASK } from "../../src/jobs/tasks/index.js";
import { listBets, listMovements, localBalance } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, agreement, type Fleet, settled, startFleet } from "./harness.js";

describe("cancelling a money job while its request is on the wire", () => {
  let sandbox: RunningSandbox;
  let f: Fleet;
  let agent: string;
  let other: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    // A settle delay far shorter than the server's answer: only waiting for our own request keeps this safe.
    f = await startFleet({ sandbox, engine: { settleMs: 20 } });
    agent = await addAgent(f, sandbox, 10);
    other = await addAgent(f, sandbox, 0);
  });
  afterAll(async () => {
    await f?.close();
    await sandbox?.close();
  });

  async function cancelOnceSent(jobId: string): Promise<void> {
    while (
      (sandbox.stats().byRoute["POST /api/v1/bets/batch"] ?? 0) +
        (sandbox.stats().byRoute["POST /api/v1/stats/pay"] ?? 0) ===
      0
    ) {
      await sleep(5);
    }
    await f.engine.cancel(jobId, "changed my mind");
  }

  it("a bet cancelled mid-call is reconciled from the server's answer and recorded, never lost", async () => {
    sandbox.resetStats();
    sandbox.setFaults({ latencyMs: 1_000, scope: "money" });
    // A single bet: a bet-batch job of one (casino.bet, the single-bet task, is gone; one call either way).
    const job = await f.engine.enqueue(TASK.betBatch, {
      agentId: agent,
      bet: { game: "coin-flip", side: "heads" },
      amount: usdToMicros(0.05),
      clientSeeds: ["cancel-mid-call-0001"],
    });
    await cancelOnceSent(job.id);
    const done = await settled(f.engine, job.id);
    sandbox.setFaults(null);

    // Cancelling cannot unsend money: the bet happened, so the job ends succeeded with its receipt.
    expect(done.state).toBe("succeeded");
    expect((await listBets(f.storage, { agentIds: [agent] })).map((b) => b.clientSeed)).toEqual([
      "cancel-mid-call-0001",
    ]);
    const a = await agreement(f.storage, f.fleet, f.client, sandbox, [agent]);
    expect(a.onlyOnServer).toEqual([]);
    expect(a.balances[0]?.local).toBe(a.balances[0]?.server);
  });

  it("a bet batch cancelled mid-call is reconciled bet by bet and every bet recorded, never lost", async () => {
    sandbox.resetStats();
    sandbox.setFaults({ latencyMs: 1_000, scope: "money" });
    const seeds = [1, 2, 3, 4].map((i) => `cancel-batch-000${i}`);
    const job = await f.engine.enqueue(TASK.betBatch, {
      agentId: agent,
      bet: { game: "coin-flip", side: "tails" },
      amount: usdToMicros(0.05),
      clientSeeds: seeds,
    });
    await cancelOnceSent(job.id);
    const done = await settled(f.engine, job.id);
    sandbox.setFaults(null);

    expect(done.state).toBe("succeeded");
    expect(done.result).toMatchObject({
      placed: 4,
      nets: [expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)],
    });
    const recorded = (await listBets(f.storage, { agentIds: [agent] })).filter((b) => seeds.includes(b.clientSeed));
    expect(recorded.map((b) => b.source)).toEqual(["reconciled", "reconciled", "reconciled", "reconciled"]);
    const a = await agreement(f.storage, f.fleet, f.client, sandbox, [agent]);
    expect(a.onlyOnServer).toEqual([]);
    expect(a.seedsPlacedTwice).toEqual([]);
    expect(a.balances[0]?.local).toBe(a.balances[0]?.server);
  });

  it("a transfer cancelled mid-call is found on the server and recorded once", async () => {
    sandbox.resetStats();
    sandbox.setFaults({ latencyMs: 1_000, scope: "money" });
    const job = await f.engine.enqueue(TASK.transfer, {
      agentId: agent,
      toAgentId: other,
      amount: usdToMicros(0.5),
      requestId: "cancel-transfer-0001",
    });
    await cancelOnceSent(job.id);
    const done = await settled(f.engine, job.id);
    sandbox.setFaults(null);
    expect(done.state).toBe("succeeded");
    expect((done.result as TransferResult).amount).toBe(usdToMicros(0.5));
    expect(await listMovements(f.storage, { agentIds: [other], kinds: ["transfer_in"] })).toHaveLength(1);
    for (const id of [agent, other]) expect(await localBalance(f.storage, id)).toBe(usdToMicros(sandbox.balanceOf(id)));
  });
});
