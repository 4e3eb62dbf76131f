import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { TransferResult } from "../../src/jobs/tasks/casino-transfer.js";
import { TASK } from "../../src/jobs/tasks/index.js";
import { listMovements } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, type Fleet, settled, startFleet } from "./harness.js";

/**
 * The kill switch stops every money movement at send time: a job queued before a pause does not send after it.
 * It fails with TRADING_PAUSED (money state not_done: nothing was sent), its hint names retry_job, and once trading
 * is resumed retry_job sends it. The sandbox counts every request per route: no POST reaches it while paused.
 */
describe("the kill switch at send time (escrow create and release, transfer, domain purchase)", () => {
  let sandbox: RunningSandbox;
  let f: Fleet;
  let alice: string;
  let bob: string;
  let accountId: string;
  let domainKey: string;

  const posts = () => Object.entries(sandbox.stats().byRoute).filter(([route]) => route.startsWith("POST"));
  const transfer = (from: string, to: string, usd: number) =>
    f.engine.enqueue(TASK.transfer, {
      agentId: from,
      toAgentId: to,
      amount: usdToMicros(usd),
      requestId: `req-${randomBytes(6).toString("hex")}`,
    });

  /** a name the sandbox offers (it treats some names as taken) */
  async function availableDomain(): Promise<string> {
    for (;;) {
      const name = `pf-${randomBytes(5).toString("hex")}.com`;
      const [quote] = await f.client.domains.search(domainKey, name);
      if (quote?.domain === name && quote.available) return name;
    }
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    // the dispatcher is started by each test, after it has queued its jobs
    f = await startFleet({ sandbox, start: false });
    alice = await addAgent(f, sandbox, 20);
    bob = await addAgent(f, sandbox, 5);
    const account = await f.client.domains.register();
    accountId = account.agentId;
    domainKey = account.apiKey;
    sandbox.fund(accountId, 50);
    await f.fleet.addDomainAccount({ accountId, apiKey: domainKey });
  });
  afterAll(async () => {
    await f?.close();
    await sandbox?.close();
  });
  beforeEach(async () => {
    await f.engine.stop({ graceMs: 1_000 });
    await f.fleet.resume({});
    for (const id of (await f.fleet.pauseState()).pausedAgents) await f.fleet.resume({ agentId: id });
  });

  it("jobs queued before a fleet-wide pause send nothing after it, fail visibly, and retry_job sends them once resumed", async () => {
    // an escrow to release, made before the pause
    const escrow = await f.client.escrow.create(await f.fleet.keyFor(alice), {
      amount: usdToMicros(1),
      description: "deliver the dataset",
      counterpartyAgentId: bob,
    });
    const domain = await availableDomain();
    const jobs = {
      transfer: await transfer(alice, bob, 0.5),
      create: await f.engine.enqueue(TASK.escrowCreate, {
        agentId: alice,
        counterpartyAgentId: bob,
        amount: usdToMicros(0.5),
        description: "label the images",
        requestId: `ecc_${randomBytes(6).toString("hex")}`,
      }),
      release: await f.engine.enqueue(TASK.escrowRelease, {
        agentId: alice,
        escrowId: escrow.escrowId,
        requestId: randomBytes(6).toString("hex"),
      }),
      domain: await f.engine.enqueue(TASK.domainRegister, { accountId, domain }),
    };
    const aliceBefore = sandbox.balanceOf(alice);
    await f.fleet.pause({ reason: "incident review" });
    sandbox.resetStats();
    await f.engine.start();

    for (const [name, job] of Object.entries(jobs)) {
      const done = await settled(f.engine, job.id);
      expect(done.state, name).toBe("failed");
      expect(done.moneyState, name).toBe("not_done");
      expect(done.error?.code, name).toBe("TRADING_PAUSED");
      expect(done.error?.message, name).toContain("incident review");
      expect(done.error?.hint, name).toContain(`retry_job ${job.id}`);
    }
    expect(posts()).toEqual([]);
    expect(sandbox.balanceOf(alice)).toBe(aliceBefore);
    expect((await f.client.escrow.get(escrow.escrowId)).status).toBe("funded");
    // nothing was reserved for good: the failed jobs released their escrow and transfer reservations
    expect(await f.fleet.liveReservations()).toEqual([]);

    await f.fleet.resume({});
    for (const job of Object.values(jobs)) await f.engine.retry(job.id);
    for (const [name, job] of Object.entries(jobs))
      expect((await settled(f.engine, job.id)).state, name).toBe("succeeded");
    const sent = Object.fromEntries(posts());
    expect(Object.values(sent).reduce((a, b) => a + b, 0)).toBe(4);
    expect((await f.client.escrow.get(escrow.escrowId)).status).toBe("released");
    expect(
      (await listMovements(f.storage, { agentIds: [alice], kinds: ["transfer_out"] })).map((m) => m.amount),
    ).toContain(-usdToMicros(0.5));
  });

  it("an agent's own pause stops its money and no one else's", async () => {
    await f.fleet.pause({ agentId: alice, reason: "key rotation" });
    const fromAlice = await transfer(alice, bob, 0.25);
    const fromBob = await transfer(bob, alice, 0.25);
    sandbox.resetStats();
    await f.engine.start();
    const [a, b] = [await settled(f.engine, fromAlice.id), await settled(f.engine, fromBob.id)];
    expect(a).toMatchObject({ state: "failed", moneyState: "not_done", error: { code: "TRADING_PAUSED" } });
    expect(a.error?.message).toContain(alice);
    expect(b.state).toBe("succeeded");
    expect((b.result as TransferResult).fromAgentId).toBe(bob);
    expect(posts()).toEqual([["POST /api/v1/stats/pay", 1]]);
  });

  it("a domain purchase is stopped by the fleet-wide pause only (a domains account is no agent)", async () => {
    await f.fleet.pause({ agentId: alice, reason: "only alice" });
    const ok = await f.engine.enqueue(TASK.domainRegister, { accountId, domain: await availableDomain() });
    await f.engine.start();
    const done = await settled(f.engine, ok.id);
    expect(done.error).toBeNull();
    expect(done.state).toBe("succeeded");
  });
});
