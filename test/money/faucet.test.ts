import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { BalanceCheckResult } from "../../src/jobs/tasks/balance-check.js";
import type { FaucetClaimResult } from "../../src/jobs/tasks/faucet-claim.js";
import { TASK } from "../../src/jobs/tasks/index.js";
import { latestBalanceSnapshots, listMovements, localBalance } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, type Fleet, settled, startFleet } from "./harness.js";

const DAY_MS = 24 * 3_600_000;

describe("faucet claims and the wallet balance check", () => {
  let sandbox: RunningSandbox;
  let f: Fleet;
  /** registered first: the casino's automatic claim at registration paid it */
  let autoClaimed: string;
  let fresh: string;
  let other: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    f = await startFleet({ sandbox, engine: { settleMs: 100 } });
    autoClaimed = await addAgent(f, sandbox, 0);
    fresh = await addAgent(f, sandbox, 0);
    other = await addAgent(f, sandbox, 0);
  });
  afterAll(async () => {
    await f?.close();
    await sandbox?.close();
  });

  const agree = async (agentId: string) =>
    expect(await localBalance(f.storage, agentId), agentId).toBe(usdToMicros(sandbox.balanceOf(agentId)));

  it("a claim whose answer was lost is found in the server ledger and recorded once", async () => {
    sandbox.advanceClock(DAY_MS + 60_000); // the faucet's one-claim-per-IP-per-24 h window
    sandbox.setFaults({ drop: 1, scope: "money" });
    const job = await f.engine.enqueue(TASK.faucetClaim, { agentId: fresh });
    const done = await settled(f.engine, job.id);
    sandbox.setFaults(null);

    expect(sandbox.stats().faults.drop).toBe(1);
    expect(done.state).toBe("succeeded");
    expect(done.moneyState).toBe("done");
    const result = done.result as FaucetClaimResult;
    expect(result.claimed).toBe(true);
    expect(result.credited).toBe(usdToMicros(1));
    expect((await listMovements(f.storage, { agentIds: [fresh], kinds: ["faucet"] })).map((m) => m.amount)).toEqual([
      usdToMicros(1),
    ]);
    expect(sandbox.balanceOf(fresh)).toBe(1);
    await agree(fresh);
  });

  it("already_claimed (the claim at registration) is an answer, not a second credit", async () => {
    sandbox.advanceClock(DAY_MS + 60_000); // the IP check comes before the agent check
    const done = await settled(f.engine, (await f.engine.enqueue(TASK.faucetClaim, { agentId: autoClaimed })).id);
    expect(done.state).toBe("succeeded");
    expect((done.result as FaucetClaimResult).claimed).toBe(false);
    expect(await listMovements(f.storage, { agentIds: [autoClaimed], kinds: ["faucet"] })).toEqual([]);
    await agree(autoClaimed);
  });

  it("the balance check snapshots every agent and claims for a low agent once, ever", async () => {
    const check = async () => {
      const done = await settled(
        f.engine,
        (await f.engine.enqueue(TASK.balanceCheck, { lowBalance: usdToMicros(0.5) })).id,
      );
      return new Map((done.result as BalanceCheckResult).agents.map((a) => [a.agentId, a]));
    };
    const first = await check();
    expect(first.get(other)?.low).toBe(true);
    expect(first.get(fresh)?.low).toBe(false);
    expect(first.get(fresh)?.faucetJobId ?? null).toBeNull();
    for (const a of first.values()) expect(a.difference, a.agentId).toBe(0);
    expect((await latestBalanceSnapshots(f.storage)).map((s) => s.agentId).sort()).toEqual(
      [autoClaimed, fresh, other].sort(),
    );
    const claim = await settled(f.engine, first.get(other)?.faucetJobId as string);
    expect((claim.result as FaucetClaimResult).claimed).toBe(true);
    await agree(other);

    // Still low ($1 < the threshold raised below), but the agent has had its one claim: none is queued.
    const second = await settled(
      f.engine,
      (await f.engine.enqueue(TASK.balanceCheck, { lowBalance: usdToMicros(5), agentIds: [other] })).id,
    );
    const line = (second.result as BalanceCheckResult).agents[0];
    expect(line?.low).toBe(true);
    expect(line?.faucetJobId ?? null).toBeNull();
    expect(line?.note).toMatch(/already used/);
  });

  it("a claim refused for the IP's 24 h window fails now and is retried by a check after the window", async () => {
    // the casino's own claim at registration pays only the first registration anywhere in 24 h: spend it first
    await f.deps.client.casino.register();
    const late = await addAgent(f, sandbox, 0);
    const check = async () => {
      const job = await f.engine.enqueue(TASK.balanceCheck, { lowBalance: usdToMicros(0.5), agentIds: [late] });
      return ((await settled(f.engine, job.id)).result as BalanceCheckResult).agents[0];
    };
    const first = await check();
    const claim = await settled(f.engine, first?.faucetJobId as string);
    expect(claim.state).toBe("failed");
    expect(claim.error?.code).toBe("RATE_LIMITED");
    expect(String(claim.error?.hint)).toMatch(/24 h/);
    await agree(late);

    // The monitor asks again only once the window has passed on pf-fleet's clock too (the sandbox's follows it).
    expect((await check())?.faucetJobId ?? null).toBeNull();
    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
    try {
      vi.setSystemTime(Date.now() + DAY_MS + 60_000);
      const next = await check();
      expect(next?.faucetJobId).toBeTruthy();
      expect((await settled(f.engine, next?.faucetJobId as string)).state).toBe("succeeded");
    } finally {
      vi.useRealTimers();
    }
    expect(sandbox.balanceOf(late)).toBe(1);
    await agree(late);
  });
});
