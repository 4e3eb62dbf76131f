import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobRow } from "../../src/jobs/index.js";
import type { EscrowCreateResult } from "../../src/jobs/tasks/escrow-create.js";
import type { EscrowReleaseResult } from "../../src/jobs/tasks/escrow-release.js";
import type { SettleReport, SettleResult } from "../../src/jobs/tasks/escrow-settle.js";
import { TASK } from "../../src/jobs/tasks/index.js";
import { listMovements, localBalance } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, type Fleet, settled, startFleet } from "./harness.js";

let seq = 0;
const requestId = () => `req-escrow-${Date.now()}-${seq++}`;

describe("escrow jobs against the sandbox", () => {
  let sandbox: RunningSandbox;
  let f: Fleet;
  let creator: string;
  let counterparty: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    f = await startFleet({ sandbox, engine: { settleMs: 100 } });
    creator = await addAgent(f, sandbox, 20);
    counterparty = await addAgent(f, sandbox, 0);
  });
  afterAll(async () => {
    await f?.close();
    await sandbox?.close();
  });

  async function expectLedgerAgrees(): Promise<void> {
    for (const agentId of [creator, counterparty]) {
      expect(await localBalance(f.storage, agentId), agentId).toBe(usdToMicros(sandbox.balanceOf(agentId)));
    }
  }

  /** The chain's first step, once it has created the escrow. */
  async function createdEscrow(chainId: string): Promise<EscrowCreateResult> {
    for (;;) {
      const [step] = (await f.engine.list({ canvasId: chainId, task: TASK.escrowCreate })).jobs;
      if (step?.state === "succeeded") return step.result as EscrowCreateResult;
      if (step && ["failed", "dead", "unknown"].includes(step.state)) throw new Error(`create ${step.state}`);
      await sleep(20);
    }
  }

  function chain(policy: Record<string, unknown>, amountUsd: number): Promise<JobRow> {
    return f.engine.chain({
      steps: [
        {
          task: TASK.escrowCreate,
          args: {
            agentId: creator,
            counterpartyAgentId: counterparty,
            amount: usdToMicros(amountUsd),
            description: "translate the whitepaper",
            requestId: requestId(),
          },
        },
        { task: TASK.escrowValidate, args: { policy } },
        { task: TASK.escrowRelease, args: { agentId: creator } },
      ],
    });
  }

  it("create → validate → release pays the counterparty once it marked the work completed", async () => {
    const c = await chain({ kind: "counterparty_completed", waitSeconds: 30 }, 2);
    const escrow = await createdEscrow(c.id);
    // The counterparty (also a fleet agent) marks it complete while validation waits.
    const complete = await f.engine.enqueue(TASK.escrowComplete, { agentId: counterparty, escrowId: escrow.escrowId });
    expect((await settled(f.engine, complete.id)).state).toBe("succeeded");

    const done = await settled(f.engine, c.id);
    expect(done.state).toBe("succeeded");
    const release = done.result as EscrowReleaseResult;
    expect(release.released).toBe(true);
    expect(release.amountReleased).toBe(usdToMicros(1.98));
    expect((await f.client.escrow.get(escrow.escrowId)).status).toBe("released");

    const lock = await listMovements(f.storage, { agentIds: [creator], kinds: ["escrow_lock"] });
    expect(lock.map((m) => [m.amount, m.fee])).toEqual([[-usdToMicros(2), usdToMicros(0.02)]]);
    const paid = await listMovements(f.storage, { agentIds: [counterparty], kinds: ["escrow_release"] });
    expect(paid.map((m) => m.amount)).toEqual([usdToMicros(1.98)]);
    await expectLedgerAgrees();
  });

  it("a failed validation leaves the escrow funded and says how to release or dispute it", async () => {
    const c = await chain({ kind: "counterparty_completed", waitSeconds: 0 }, 1);
    const done = await settled(f.engine, c.id);
    expect(done.state).toBe("succeeded");
    const release = done.result as EscrowReleaseResult;
    expect(release.released).toBe(false);
    expect(release.reason).toMatch(/not marked it completed/);
    expect(release.reason).toMatch(/release_escrow/);
    expect(release.reason).toMatch(/dispute_escrow/);
    expect((await f.client.escrow.get(release.escrowId)).status).toBe("funded");
    await expectLedgerAgrees();
  });

  it("an escrow create whose answer was lost is found by its description tag, not created twice", async () => {
    const before = (await listMovements(f.storage, { agentIds: [creator], kinds: ["escrow_lock"] })).length;
    sandbox.setFaults({ drop: 1, scope: "money" });
    const job = await f.engine.enqueue(TASK.escrowCreate, {
      agentId: creator,
      counterpartyAgentId: counterparty,
      amount: usdToMicros(0.5),
      description: "dataset labelling",
      requestId: requestId(),
    });
    // The drop has happened once the job is waiting to be reconciled; later reads are not faulted.
    const done = await settled(f.engine, job.id);
    sandbox.setFaults(null);
    expect(done.state).toBe("succeeded");
    expect(done.moneyState).toBe("done");
    expect((await f.engine.events(job.id)).some((e) => /reconcil/i.test(e.reason))).toBe(true);
    expect(sandbox.stats().faults.drop).toBeGreaterThan(0);

    const escrowId = (done.result as EscrowCreateResult).escrowId;
    const serverLocks = (await f.client.casino.ledger(await f.fleet.keyFor(creator))).filter(
      (e) => e.service === "escrow" && e.type === "debit",
    );
    expect(serverLocks.length).toBe(before + 1);
    expect(serverLocks.filter((e) => e.reference === escrowId)).toHaveLength(1);
    expect(await listMovements(f.storage, { agentIds: [creator], kinds: ["escrow_lock"] })).toHaveLength(before + 1);
    await expectLedgerAgrees();
  });

  it("an escrow create refused with a 500 is proven not done, then sent again and created once", async () => {
    const before = (await listMovements(f.storage, { agentIds: [creator], kinds: ["escrow_lock"] })).length;
    sandbox.resetStats();
    sandbox.setFaults({ error: 1, scope: "money" });
    const job = await f.engine.enqueue(TASK.escrowCreate, {
      agentId: creator,
      counterpartyAgentId: counterparty,
      amount: usdToMicros(0.4),
      description: "code review",
      requestId: requestId(),
    });
    while (sandbox.stats().faults.error === 0) await sleep(10);
    sandbox.setFaults(null);
    const done = await settled(f.engine, job.id);
    expect(done.state).toBe("succeeded");
    expect(done.attempts).toBe(2);
    expect(await listMovements(f.storage, { agentIds: [creator], kinds: ["escrow_lock"] })).toHaveLength(before + 1);
    await expectLedgerAgrees();
  });

  it("the weekly settlement releases the fleet's completed escrows and reports the others", async () => {
    const create = async (usd: number) => {
      const j = await f.engine.enqueue(TASK.escrowCreate, {
        agentId: creator,
        counterpartyAgentId: counterparty,
        amount: usdToMicros(usd),
        description: "weekly retainer",
        requestId: requestId(),
      });
      return ((await settled(f.engine, j.id)).result as EscrowCreateResult).escrowId;
    };
    const completed = await create(0.3);
    const open = await create(0.2);
    const mark = await f.engine.enqueue(TASK.escrowComplete, { agentId: counterparty, escrowId: completed });
    await settled(f.engine, mark.id);

    const settle = await settled(
      f.engine,
      (await f.engine.enqueue(TASK.escrowSettle, { escrowIds: [completed, open] })).id,
    );
    const result = settle.result as SettleResult;
    expect(result.releasing).toEqual([completed]);
    const report = (await settled(f.engine, result.chordId as string)).result as SettleReport;
    expect(report.settled.map((s) => [s.escrowId, s.amountReleased])).toEqual([[completed, usdToMicros(0.297)]]);
    expect(report.failed).toEqual([]);
    expect(report.skipped.map((s) => [s.escrowId, s.status])).toEqual([[open, "funded"]]);
    expect((await f.client.escrow.get(completed)).status).toBe("released");
    expect((await f.client.escrow.get(open)).status).toBe("funded");
    await expectLedgerAgrees();
  });
});
