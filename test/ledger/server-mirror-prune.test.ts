import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/jobs/index.js";
import { recordOpeningBalance, TASK } from "../../src/jobs/tasks/index.js";
import type { LedgerRefreshResult } from "../../src/jobs/tasks/ledger-refresh.js";
import { listMovements, localBalance } from "../../src/ledger/index.js";
import { UNATTRIBUTED_PREFIX } from "../../src/ledger/matching.js";
import { OPENING_ROW_ID } from "../../src/ledger/server-mirror.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { type Fleet, settled, startFleet } from "../money/harness.js";

/**
 * The server ledger mirror is pruned by the engine's maintenance pass once rows are past PF_MIRROR_RETENTION_DAYS
 * (src/ledger/mirror-retention.ts). What is pruned must never be needed again: after a prune, the ledger refresh
 * and the syncs after bet calls still end with every agent's local ledger equal to its server balance.
 */

const DAY_MS = 86_400_000;
let uniq = 0;
const id = (prefix: string) => `${prefix}-${Date.now()}-${uniq++}`;

describe("pruning the server ledger mirror", () => {
  let sandbox: RunningSandbox | undefined;
  let f: Fleet | undefined;
  afterEach(async () => {
    await f?.close();
    await sandbox?.close();
    f = undefined;
    sandbox = undefined;
  });

  /** a fleet agent funded before it joins: the deposit is inside its opening balance (before its opening mark) */
  async function agent(fundUsd: number, referralCode?: string): Promise<{ agentId: string; referralCode: string }> {
    const fleet = f as Fleet;
    const reg = await fleet.client.casino.register(referralCode ? { referralCode } : {});
    sandbox?.fund(reg.agentId, fundUsd);
    await fleet.fleet.addAgent({ agentId: reg.agentId, apiKey: reg.apiKey, source: "registered" });
    await recordOpeningBalance(fleet.deps, reg.agentId);
    return { agentId: reg.agentId, referralCode: reg.referralCode };
  }

  async function bet(agentId: string, calls: number): Promise<void> {
    const fleet = f as Fleet;
    for (let i = 0; i < calls; i++) {
      const job = await fleet.engine.enqueue(TASK.betBatch, {
        agentId,
        bet: { game: "coin-flip", side: "heads" },
        amount: usdToMicros(0.05),
        clientSeeds: Array.from({ length: 20 }, () => id("seed")),
      });
      expect((await settled(fleet.engine, job.id)).state).toBe("succeeded");
    }
    await sleep(300); // the ledger sync after the last call
  }

  const mirror = (agentId: string) => (f as Fleet).storage.ledger.serverRows({ agentId });

  it("drops a busy agent's old rows, keeps an idle referrer's, and the ledger still agrees with the server", async () => {
    sandbox = await startSandbox({ rateLimits: false });
    const clock = new ManualClock(Date.now());
    f = await startFleet({ sandbox, engine: { clock, sweepMs: 20 } });
    // B only earns commissions (fewer than 50 rows: its whole ledger stays in the server's window); A bets 60 times
    const referrer = await agent(5);
    const bettor = (await agent(20, referrer.referralCode)).agentId;
    await bet(bettor, 3);
    const refresh = await f.engine.enqueue(TASK.ledgerRefresh, {});
    expect((await settled(f.engine, refresh.id)).state).toBe("succeeded");

    const bettorRows = await mirror(bettor);
    const referrerRows = await mirror(referrer.agentId);
    expect(bettorRows.length).toBeGreaterThan(80);
    expect(referrerRows.length).toBeLessThan(50);
    const bettorHead = await f.storage.ledger.mirrorHead(bettor);

    // 31 days on, for the server and the engine: the maintenance pass prunes what the retention lets go
    sandbox.advanceClock(31 * DAY_MS);
    clock.advance(31 * DAY_MS);
    const until = Date.now() + 10_000;
    while ((await mirror(bettor)).length === bettorRows.length && Date.now() < until) await sleep(20);
    const left = await mirror(bettor);
    expect(left.length).toBeLessThan(bettorRows.length);
    // the oldest went; the opening mark and the rows the server's window can still show stay
    const kept = new Set(left.map((r) => r.entryId));
    const gone = bettorRows.filter((r) => !kept.has(r.entryId));
    const keptServerRows = left.filter((r) => r.entryId !== OPENING_ROW_ID);
    expect(kept.has(OPENING_ROW_ID)).toBe(true);
    expect(keptServerRows.length).toBeGreaterThanOrEqual(50);
    expect(Math.max(...gone.map((r) => r.at))).toBeLessThanOrEqual(Math.min(...keptServerRows.map((r) => r.at)));
    expect(await f.storage.ledger.mirrorHead(bettor)).toEqual(bettorHead);
    expect(await mirror(referrer.agentId)).toEqual(referrerRows);
    expect(referrerRows.some((r) => r.entryId === OPENING_ROW_ID)).toBe(true);

    // more bets (and commissions), and a deposit the refresh must import: every agent still agrees
    sandbox.fund(bettor, 1);
    await bet(bettor, 1);
    const after = await f.engine.enqueue(TASK.ledgerRefresh, {});
    const done = await settled(f.engine, after.id);
    expect(done.state).toBe("succeeded");
    const result = done.result as LedgerRefreshResult;
    expect(result.errors).toEqual([]);
    expect(result.agents.map((a) => a.unattributed)).toEqual([null, null]);
    for (const agentId of [bettor, referrer.agentId]) {
      const server = await f.client.casino.balance(await f.fleet.keyFor(agentId));
      expect(await localBalance(f.storage, agentId), agentId).toBe(server.balance);
      const movements = await listMovements(f.storage, { agentIds: [agentId], limit: 10_000 });
      expect(movements.filter((m) => m.reference.startsWith(UNATTRIBUTED_PREFIX))).toEqual([]);
    }
    // the head the prune kept was continued: no rows were seen as missed
    expect(await f.storage.ledger.serverRows({ agentId: bettor, gapsOnly: true })).toEqual([]);
  });
});
