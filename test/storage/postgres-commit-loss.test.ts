/**
 * The connection to PostgreSQL dies during the COMMIT that records a money job's success and receipts (a proxy
 * cuts it: test/support/pg-commit-cutter.ts). Whether that COMMIT landed or not, pf-fleet cannot know; it must
 * never send the bets again, and the ledger must end with every bet once. Landed: the job is done and recorded.
 * Lost: the job's lease runs out, and it is reconciled from the server's own records.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { BetAggregate } from "../../src/jobs/index.js";
import { loadBankrolls, planBatch, submitBatch, TASK } from "../../src/jobs/tasks/index.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, agreement, type Fleet, settled, startFleet } from "../money/harness.js";
import { type CommitCut, type CommitCutter, startCommitCutter } from "../support/pg-commit-cutter.js";
import { createTestDatabase, dropTestDatabase, postgresAvailable, postgresUrl } from "../support/postgres.js";

describe.skipIf(!postgresAvailable)("a PostgreSQL connection lost during a money job's COMMIT", () => {
  let sandbox: RunningSandbox | undefined;
  let cutter: CommitCutter | undefined;
  let f: Fleet | undefined;
  let db: string | undefined;

  afterEach(async () => {
    await f?.close();
    await cutter?.close();
    await sandbox?.close();
    if (db) await dropTestDatabase(db);
  });

  it.each(["landed", "lost"] as CommitCut[])(
    "COMMIT %s: the bets are recorded once and never sent again",
    async (how) => {
      sandbox = await startSandbox({ rateLimits: false });
      db = await createTestDatabase();
      const server = new URL(postgresUrl as string);
      cutter = await startCommitCutter({ host: server.hostname, port: Number(server.port) });
      const viaProxy = new URL(db);
      viaProxy.port = String(cutter.port);
      f = await startFleet({ sandbox, dbPath: viaProxy.toString(), engine: { leaseMs: 1_500 } });
      const agent = await addAgent(f, sandbox, 50);
      const plan = planBatch({
        bet: { game: "coin-flip", side: "heads" },
        count: 20,
        amount: usdToMicros(0.05),
        agents: await loadBankrolls(f.deps, [agent]),
      });
      cutter.arm("bets", how);
      const chord = await submitBatch(f.deps, plan);
      const done = await settled(f.engine, chord.id, 60_000);

      expect(cutter.cuts).toBe(1);
      expect(done.state).toBe("succeeded");
      expect((done.result as BetAggregate).totalBets).toBe(20);
      // one call, ever: neither outcome of the cut sends the bets again
      expect(sandbox.stats().byRoute["POST /api/v1/bets/batch"]).toBe(1);
      const a = await agreement(f.storage, f.fleet, f.client, sandbox, [agent]);
      expect(a.serverBets).toHaveLength(20);
      expect(a.seedsPlacedTwice).toEqual([]);
      expect(a.onlyOnServer).toEqual([]);
      expect(a.onlyInLedger).toEqual([]);
      for (const b of a.balances) expect(b.local, b.agentId).toBe(b.server);

      const [member] = (await f.engine.list({ canvasId: chord.id, task: TASK.betBatch })).jobs;
      const reasons = (await f.engine.events(member?.id as string)).map((e) => e.reason);
      if (how === "lost") {
        // the lease ran out on a job whose outcome never committed: it was reconciled, not re-sent
        expect(reasons.some((r) => r.includes("to reconcile"))).toBe(true);
      } else {
        expect(reasons.some((r) => r.includes("to reconcile"))).toBe(false);
      }
    },
    60_000,
  );
});
