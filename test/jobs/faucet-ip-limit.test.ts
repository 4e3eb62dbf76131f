import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { BalanceCheckResult } from "../../src/jobs/tasks/balance-check.js";
import type { FaucetClaimResult } from "../../src/jobs/tasks/faucet-claim.js";
import { TASK } from "../../src/jobs/tasks/index.js";
import { listMovements, localBalance } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, type Fleet, settled, startFleet } from "../money/harness.js";
import { alertCounter } from "../support/alerts.js";

/**
 * Issue 11 item 4: the faucet checks the IP before the agent. A `429 ip_rate_limited` says "this IP claimed
 * today", nothing about the agent. pf-fleet says what it knows, the wallet monitor does not ask again until the
 * window has passed, and the refusal raises one alert, not one per 5-minute tick.
 */

const DAY_MS = 24 * 3_600_000;
const CLAIM_ROUTE = "POST /faucet/claim";

describe("faucet claims refused by the per-IP limit", () => {
  let sandbox: RunningSandbox;
  let f: Fleet;
  const alerts = alertCounter();
  /** joined the fleet, then claimed the faucet outside pf-fleet (another session, by hand) */
  let claimedElsewhere: string;
  /** never claimed */
  let fresh: string;

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    f = await startFleet({ sandbox, engine: { settleMs: 100, logger: alerts.logger } });
    await f.client.casino.register(); // the casino's claim at registration uses this 24 h's one claim for the IP
    claimedElsewhere = await addAgent(f, sandbox, 0);
    fresh = await addAgent(f, sandbox, 0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await f?.close();
    await sandbox?.close();
  });

  const claimPosts = () => sandbox.stats().byRoute[CLAIM_ROUTE] ?? 0;
  const check = async (agentId: string, lowUsd = 0.5) => {
    const job = await f.engine.enqueue(TASK.balanceCheck, { lowBalance: usdToMicros(lowUsd), agentIds: [agentId] });
    const done = await settled(f.engine, job.id);
    expect(done.state).toBe("succeeded");
    return (done.result as BalanceCheckResult).agents[0];
  };

  it("an agent the ledger shows as claimed before gets 'already claimed', not 'claim again tomorrow'", async () => {
    sandbox.advanceClock(DAY_MS + 60_000);
    await f.client.faucet.claim(claimedElsewhere, {}); // not through pf-fleet: the IP has now claimed today
    const refresh = await f.engine.enqueue(TASK.ledgerRefresh, { agentIds: [claimedElsewhere] });
    expect((await settled(f.engine, refresh.id)).state).toBe("succeeded");
    expect(
      (await listMovements(f.storage, { agentIds: [claimedElsewhere], kinds: ["faucet"] })).map((m) => m.amount),
    ).toEqual([usdToMicros(1)]);

    const posts = claimPosts();
    const job = await f.engine.enqueue(TASK.faucetClaim, { agentId: claimedElsewhere });
    const done = await settled(f.engine, job.id);
    expect(claimPosts() - posts).toBe(1);
    expect(sandbox.stats().rateLimited["faucet-ip-24h"]).toBeGreaterThanOrEqual(1);

    expect(done.state).toBe("succeeded");
    const result = done.result as FaucetClaimResult;
    expect(result).toMatchObject({ claimed: false, credited: 0 });
    expect(result.note).toMatch(/refused this IP/);
    expect(result.note).toMatch(/already credited \$1\.00 by the faucet/);
    expect(result.note).toMatch(/one claim per agent ever/);
    expect((await f.storage.taskMemory.faucetMemory(claimedElsewhere))?.outcome).toBe("already_claimed");
    expect(sandbox.balanceOf(claimedElsewhere)).toBe(1);
    expect(await localBalance(f.storage, claimedElsewhere)).toBe(usdToMicros(1));
    expect(alerts.critical).toEqual([]);

    // still low below $5, but the monitor never queues a claim for it again
    const line = await check(claimedElsewhere, 5);
    expect(line?.faucetJobId ?? null).toBeNull();
    expect(line?.note).toMatch(/already used \(already_claimed\)/);
  });

  it("a never-claimed agent: an honest refusal, no claim re-run until the window has passed, one alert", async () => {
    const posts = claimPosts();
    const first = await check(fresh);
    const claim = await settled(f.engine, first?.faucetJobId as string);
    expect(claimPosts() - posts).toBe(1);
    expect(claim.state).toBe("failed");
    expect(claim.moneyState).toBe("not_done");
    expect(claim.error?.code).toBe("RATE_LIMITED");
    expect(String(claim.error?.message)).toMatch(/this IP already claimed in the last 24 h/);
    expect(String(claim.error?.message)).toMatch(/did not say whether .* can still claim/);
    expect(String(claim.error?.hint)).toMatch(/this IP can claim again in about 24 h/);
    expect(String(claim.error?.hint)).not.toMatch(/tomorrow/);
    expect(alerts.critical).toHaveLength(1);

    // three more 5-minute ticks while the IP is blocked: nothing sent, nothing alerted, the reason shown
    for (let tick = 0; tick < 3; tick++) {
      const line = await check(fresh);
      expect(line?.faucetJobId ?? null).toBeNull();
      expect(line?.note).toMatch(
        /no faucet claim queued — the faucet refused this IP at .* the next claim waits until/,
      );
    }
    expect(claimPosts() - posts).toBe(1);
    expect(alerts.critical).toHaveLength(1);
    expect(sandbox.balanceOf(fresh)).toBe(0);

    // a day later (pf-fleet's clock and the sandbox's move together), the next check claims
    vi.useFakeTimers({ toFake: ["Date"], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + DAY_MS + 60_000);
    const later = await check(fresh);
    expect(later?.faucetJobId).toBeTruthy();
    const retried = await settled(f.engine, later?.faucetJobId as string);
    expect(retried.state).toBe("succeeded");
    expect((retried.result as FaucetClaimResult).claimed).toBe(true);
    expect(claimPosts() - posts).toBe(2);
    expect(sandbox.balanceOf(fresh)).toBe(1);
    expect(await localBalance(f.storage, fresh)).toBe(usdToMicros(1));
    expect(alerts.critical).toHaveLength(1);
  });
});
