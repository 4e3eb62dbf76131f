import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import type { BalanceCheckResult } from "../../src/jobs/tasks/balance-check.js";
import { TASK } from "../../src/jobs/tasks/index.js";
import { usdToMicros } from "../../src/money.js";
import { readWithRetry } from "../../src/purpleflea/read-retry.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, type Fleet, settled, startFleet } from "../money/harness.js";

/**
 * D3: a read made before deciding what to send (a balance, an escrow's state) that fails transiently is asked
 * again with a short backoff instead of failing the operation. The sandbox's fault injection with seed 35 and
 * reset 0.3 / error 0.3 gives the next three requests: a reset connection, a 500, then a normal answer.
 */
const RESET_THEN_500_THEN_OK = { reset: 0.3, error: 0.3, seed: 35, scope: "all" as const };

describe("reads before sending retry transient failures", () => {
  let sandbox: RunningSandbox;
  let f: Fleet;
  let a: string;
  let b: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    f = await startFleet({ sandbox, engine: { settleMs: 100 } });
    a = await addAgent(f, sandbox, 3);
    b = await addAgent(f, sandbox, 7);
  });
  afterAll(async () => {
    await f?.close();
    await sandbox?.close();
  });

  it("a balance read that fails twice (reset, 500) then answers does not fail the wallet monitor", async () => {
    sandbox.resetStats();
    sandbox.setFaults(RESET_THEN_500_THEN_OK);
    const job = await f.engine.enqueue(TASK.balanceCheck, { agentIds: [a, b], claimFaucetWhenLow: false });
    const done = await settled(f.engine, job.id);
    sandbox.setFaults(null);

    expect(sandbox.stats().faults).toMatchObject({ reset: 1, error: 1 });
    expect(done.state).toBe("succeeded");
    expect(done.attempts).toBe(1);
    const result = done.result as BalanceCheckResult;
    expect(result.errors).toEqual([]);
    expect(result.agents.map((x) => [x.agentId, x.server, x.difference])).toEqual([
      [a, usdToMicros(sandbox.balanceOf(a)), 0],
      [b, usdToMicros(sandbox.balanceOf(b)), 0],
    ]);
    // 2 failed + 1 answered for the first agent, 1 for the second
    expect(sandbox.stats().byRoute["GET /api/v1/auth/balance"]).toBe(4);
  });

  it("the same helper over the real client: the escrow read succeeds on the third request", async () => {
    const key = await f.fleet.keyFor(a);
    const escrow = await f.client.escrow.create(key, {
      amount: usdToMicros(0.5),
      description: "index the archive",
      counterpartyAgentId: b,
    });
    sandbox.resetStats();
    sandbox.setFaults(RESET_THEN_500_THEN_OK);
    const read = await readWithRetry(() => f.client.escrow.get(escrow.escrowId, key));
    sandbox.setFaults(null);
    expect(read.status).toBe("funded");
    expect(sandbox.stats().byRoute["GET /escrow/:id"]).toBe(3);
  });

  it("a refusal is not retried, and the budget bounds the retries", async () => {
    sandbox.resetStats();
    await expect(readWithRetry(() => f.client.escrow.get("esc_0000000000000000"))).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    expect(sandbox.stats().byRoute["GET /escrow/:id"]).toBe(1);

    sandbox.setFaults({ error: 1, scope: "all" });
    const started = Date.now();
    const failed = await readWithRetry(() => f.client.escrow.get("esc_0000000000000000"), {
      attempts: 10,
      baseDelayMs: 100,
      budgetMs: 400,
    }).catch((err: unknown) => err);
    sandbox.setFaults(null);
    expect(failed).toBeInstanceOf(FleetError);
    expect((failed as FleetError).code).toBe("UPSTREAM_UNAVAILABLE");
    expect(Date.now() - started).toBeLessThan(2_000);
    // waits of ~100 and ~200 ms fit in 400 ms, the next (~400 ms) does not: 3 tries, not 10
    expect(sandbox.stats().byRoute["GET /escrow/:id"]).toBe(4);
  });
});
