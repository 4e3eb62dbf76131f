import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BetAggregate } from "../../src/jobs/index.js";
import type { PlaceBatchResult } from "../../src/jobs/tasks/casino-place-batch.js";
import { seedPrefixFor } from "../../src/jobs/tasks/casino-place-batch.js";
import type { TransferResult } from "../../src/jobs/tasks/casino-transfer.js";
import type { VerifyResult } from "../../src/jobs/tasks/casino-verify.js";
import { loadBankrolls, planBatch, submitBatch, TASK } from "../../src/jobs/tasks/index.js";
import type { LedgerRefreshResult } from "../../src/jobs/tasks/ledger-refresh.js";
import type { StoredSummary } from "../../src/ledger/index.js";
import { getStoredSummary, listBets, listMovements, localBalance, utcDateKey } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, type Fleet, poke, settled, startFleet } from "./harness.js";

describe("casino, transfer and bookkeeping tasks", () => {
  let sandbox: RunningSandbox;
  let f: Fleet;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    f = await startFleet({ sandbox, engine: { settleMs: 100 } });
    alice = await addAgent(f, sandbox, 40);
    bob = await addAgent(f, sandbox, 40);
  });
  afterAll(async () => {
    await f?.close();
    await sandbox?.close();
  });

  const agree = async () => {
    for (const a of [alice, bob]) expect(await localBalance(f.storage, a), a).toBe(usdToMicros(sandbox.balanceOf(a)));
  };

  it("casino.place_batch plans over every active agent and its chord aggregates the bets", async () => {
    const job = await f.engine.enqueue(TASK.placeBatch, {
      bet: { game: "dice", direction: "under", threshold: 50 },
      count: 12,
      amount: usdToMicros(0.05),
    });
    const done = await settled(f.engine, job.id);
    const result = done.result as PlaceBatchResult;
    expect(result.agents.map((a) => [a.agentId, a.bets])).toEqual([
      [alice, 6],
      [bob, 6],
    ]);
    // dice under 50 wins below 50 only: 49 % of rolls at a price that assumes 50 %
    expect(result.economics.winProbability).toBe(0.49);
    expect(result.warnings.join(" ")).toMatch(/real house edge/);
    const summary = (await settled(f.engine, result.chordId)).result as BetAggregate;
    expect(summary.totalBets).toBe(12);
    await agree();
  });

  it("submitting the same job's plan twice returns the first chord and places nothing twice", async () => {
    const plan = planBatch({
      bet: { game: "coin-flip", side: "heads" },
      count: 4,
      amount: usdToMicros(0.02),
      agents: await loadBankrolls(f.deps, [alice]),
      seedPrefix: seedPrefixFor("job-under-test"),
    });
    const first = await submitBatch(f.deps, plan, { submittedBy: "job-under-test" });
    const second = await submitBatch(f.deps, plan, { submittedBy: "job-under-test" });
    expect(second.id).toBe(first.id);
    await settled(f.engine, first.id);
    const seeds = (await listBets(f.storage, { agentIds: [alice], limit: 1000 })).map((b) => b.clientSeed);
    expect(seeds.filter((s) => s.startsWith(seedPrefixFor("job-under-test")))).toHaveLength(4);
  });

  it("casino.verify_bets re-derives every bet under the revealed seed and reports a tampered one", async () => {
    const clean = await settled(f.engine, (await f.engine.enqueue(TASK.verifyBets, { agentId: alice })).id);
    const result = clean.result as VerifyResult;
    const alicesBets = (await listBets(f.storage, { agentIds: [alice], limit: 1000 })).length;
    expect(result.rotated).toBe(true);
    expect(result.checked).toBe(alicesBets);
    expect(result.seeds.every((s) => s.commitmentOk)).toBe(true);
    expect(result.mismatches).toEqual([]);

    // Alter one recorded roll: the verifier must notice (the revealed seed is kept, no rotation needed).
    const [victim] = await listBets(f.storage, { agentIds: [alice], limit: 1 });
    expect(await poke(f, "UPDATE bets SET roll = roll + 0.01 WHERE client_seed = ?", victim?.clientSeed)).toBe(1);
    const again = await settled(
      f.engine,
      (await f.engine.enqueue(TASK.verifyBets, { agentId: alice, rotate: false })).id,
    );
    const mismatches = (again.result as VerifyResult).mismatches;
    expect(mismatches.map((m) => [m.clientSeed, m.field])).toEqual([[victim?.clientSeed, "roll"]]);
  });

  it("a transfer whose answer was lost is found by its amount and payment id (no memo is stored) and recorded once", async () => {
    sandbox.setFaults({ drop: 1, scope: "money" });
    const job = await f.engine.enqueue(TASK.transfer, {
      agentId: alice,
      toAgentId: bob,
      amount: usdToMicros(1.25),
      memo: "thanks for the data",
      requestId: "req-transfer-0001",
    });
    const done = await settled(f.engine, job.id);
    sandbox.setFaults(null);
    expect(done.state).toBe("succeeded");
    expect((done.result as TransferResult).transferId).toMatch(/^pay_/);
    const serverOut = (await f.client.casino.ledger(await f.fleet.keyFor(alice))).filter(
      (e) => e.reason === "payment_sent",
    );
    expect(serverOut).toHaveLength(1);
    expect(serverOut[0]?.reference).toBe((done.result as TransferResult).transferId);
    const out = await listMovements(f.storage, { agentIds: [alice], kinds: ["transfer_out"] });
    expect(out.map((m) => [m.amount, m.reference])).toEqual([[-usdToMicros(1.25), serverOut[0]?.reference]]);
    expect((await listMovements(f.storage, { agentIds: [bob], kinds: ["transfer_in"] })).map((m) => m.amount)).toEqual([
      usdToMicros(1.25),
    ]);
    await agree();
  });

  it("a transfer to an agent outside the fleet whose answer was lost is its lone unclaimed payment", async () => {
    const outsider = (await f.client.casino.register({})).agentId;
    sandbox.setFaults({ drop: 1, scope: "money" });
    const job = await f.engine.enqueue(TASK.transfer, {
      agentId: alice,
      toAgentId: outsider,
      amount: usdToMicros(0.55),
      requestId: "req-outside-0001",
    });
    const done = await settled(f.engine, job.id);
    sandbox.setFaults(null);
    expect([done.state, done.moneyState]).toEqual(["succeeded", "done"]);
    const paid = (await f.client.casino.ledger(await f.fleet.keyFor(alice))).filter(
      (e) => e.reason === "payment_sent" && e.amount === usdToMicros(0.55),
    );
    expect(paid.map((e) => e.reference)).toEqual([(done.result as TransferResult).transferId]);
    await agree();
  });

  it("two transfers of one amount to one recipient, both answers lost, are told apart oldest first and recorded once each", async () => {
    sandbox.resetStats();
    // both calls are on the server before either answer is missed, so each reconciliation sees both payments
    sandbox.setFaults({ drop: 1, latencyMs: 300, scope: "money" });
    const jobs = [];
    for (const n of [1, 2]) {
      jobs.push(
        await f.engine.enqueue(TASK.transfer, {
          agentId: alice,
          toAgentId: bob,
          amount: usdToMicros(0.75),
          requestId: `req-twin-000${n}`,
        }),
      );
    }
    while ((sandbox.stats().byRoute["POST /api/v1/stats/pay"] ?? 0) < 2) await sleep(5);
    sandbox.setFaults(null);
    const done = await Promise.all(jobs.map((j) => settled(f.engine, j.id)));
    expect(sandbox.stats().faults.drop).toBe(2);
    expect(done.map((d) => [d.state, d.moneyState])).toEqual([
      ["succeeded", "done"],
      ["succeeded", "done"],
    ]);
    const ids = done.map((d) => (d.result as TransferResult).transferId);
    const paid = (await f.client.casino.ledger(await f.fleet.keyFor(alice)))
      .filter((e) => e.reason === "payment_sent" && e.amount === usdToMicros(0.75))
      .map((e) => e.reference);
    expect(paid).toHaveLength(2);
    expect(new Set(ids)).toEqual(new Set(paid));
    // the older job took the older payment
    const [older] = await f.storage.ledger.serverRows({ agentId: alice, reference: ids[0] as string, limit: 1 });
    const [younger] = await f.storage.ledger.serverRows({ agentId: alice, reference: ids[1] as string, limit: 1 });
    expect((older?.seq ?? 0) < (younger?.seq ?? 0)).toBe(true);
    await agree();
  });

  it("ledger.refresh imports server credits pf-fleet did not cause, and the daily summary is stored", async () => {
    // A deposit pf-fleet did not make, a little later (server rows have whole seconds; one in the opening
    // balance's second would count as part of it).
    sandbox.advanceClock(2_000);
    sandbox.fund(bob, 3.5);
    expect(await localBalance(f.storage, bob)).not.toBe(usdToMicros(sandbox.balanceOf(bob)));
    const refresh = await settled(f.engine, (await f.engine.enqueue(TASK.ledgerRefresh, {})).id);
    const imported = (refresh.result as LedgerRefreshResult).agents.find((a) => a.agentId === bob)?.imported;
    expect(imported).toBe(1);
    await agree();

    const date = utcDateKey(Date.now());
    const daily = await settled(f.engine, (await f.engine.enqueue(TASK.dailyPnl, { date })).id);
    const stored = await getStoredSummary(f.storage, "daily", date);
    expect((daily.result as StoredSummary).key).toBe(date);
    expect(stored?.report.totals.bets).toBe((await listBets(f.storage, { limit: 10_000 })).length);
  });
});
