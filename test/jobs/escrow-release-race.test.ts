import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EscrowCreateResult } from "../../src/jobs/tasks/escrow-create.js";
import type { EscrowReleaseResult } from "../../src/jobs/tasks/escrow-release.js";
import { TASK } from "../../src/jobs/tasks/index.js";
import { listMovements, localBalance } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, type Fleet, settled, startFleet } from "../money/harness.js";
import { alertCounter } from "../support/alerts.js";

/**
 * D10: two release requests for one escrow. The server pays once and refuses the second with 409 invalid_status;
 * pf-fleet reads the escrow, finds it released, and answers "already released" — a success that moved nothing —
 * instead of a failed critical job.
 */

describe("racing escrow releases", () => {
  let sandbox: RunningSandbox;
  let f: Fleet;
  let creator: string;
  let counterparty: string;
  const alerts = alertCounter();

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    f = await startFleet({ sandbox, engine: { settleMs: 100, logger: alerts.logger } });
    creator = await addAgent(f, sandbox, 20);
    counterparty = await addAgent(f, sandbox, 0);
  });
  afterAll(async () => {
    await f?.close();
    await sandbox?.close();
  });

  it("the second release is a success that did nothing, and the counterparty is credited once", async () => {
    const create = await f.engine.enqueue(TASK.escrowCreate, {
      agentId: creator,
      counterpartyAgentId: counterparty,
      amount: usdToMicros(2),
      description: "label the training set",
      requestId: "req-race-create-1",
    });
    const created = await settled(f.engine, create.id);
    expect(created.state).toBe("succeeded");
    const escrowId = (created.result as EscrowCreateResult).escrowId;

    const before = sandbox.stats().requests;
    const jobs = await Promise.all(
      ["req-race-release-a", "req-race-release-b"].map((requestId) =>
        f.engine.enqueue(TASK.escrowRelease, { agentId: creator, escrowId, requestId }),
      ),
    );
    const done = await Promise.all(jobs.map((j) => settled(f.engine, j.id)));

    expect(done.map((d) => d.state)).toEqual(["succeeded", "succeeded"]);
    const results = done.map((d) => d.result as EscrowReleaseResult);
    const [paid, second] = results[0]?.released ? results : [results[1], results[0]];
    expect(paid).toMatchObject({ released: true, status: "released", amountReleased: usdToMicros(1.98) });
    expect(second).toMatchObject({ released: false, status: "released", amountReleased: 0 });
    expect(second?.reason).toMatch(/already released/);
    // both POSTs reached the server (one paid, one refused with 409) plus the refused one's GET of the escrow
    expect(sandbox.stats().requests - before).toBe(3);

    // $2 less 1 % reached the counterparty once, on the server and in the ledger
    expect(sandbox.balanceOf(counterparty)).toBe(1.98);
    const credits = await listMovements(f.storage, { agentIds: [counterparty], kinds: ["escrow_release"] });
    expect(credits.map((m) => m.amount)).toEqual([usdToMicros(1.98)]);
    for (const agentId of [creator, counterparty]) {
      expect(await localBalance(f.storage, agentId), agentId).toBe(usdToMicros(sandbox.balanceOf(agentId)));
    }
    expect(alerts.critical).toEqual([]);
  });

  it("a release refused because the escrow was refunded still fails, saying so", async () => {
    const create = await f.engine.enqueue(TASK.escrowCreate, {
      agentId: creator,
      counterpartyAgentId: counterparty,
      amount: usdToMicros(1),
      description: "proofread the manual",
      timeoutHours: 1,
      requestId: "req-race-create-2",
    });
    const escrowId = ((await settled(f.engine, create.id)).result as EscrowCreateResult).escrowId;
    sandbox.advanceClock(2 * 3_600_000); // the timeout sweep refunds the creator less 1 %
    const job = await f.engine.enqueue(TASK.escrowRelease, { agentId: creator, escrowId, requestId: "req-late-1" });
    const done = await settled(f.engine, job.id);
    expect(done.state).toBe("failed");
    expect(done.moneyState).toBe("not_done");
    expect(done.error?.code).toBe("CONFLICT");
    expect(String(done.error?.message)).toMatch(/is refunded, so it cannot be released/);
    expect(alerts.critical).toHaveLength(1);
  });
});
