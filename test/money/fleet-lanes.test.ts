import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import { loadBankrolls, planBatch, submitBatch, TASK } from "../../src/jobs/tasks/index.js";
import { LedgerNudger } from "../../src/jobs/tasks/ledger-sync.js";
import { listMovements, reconciliationReport } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import type { CasinoClient } from "../../src/purpleflea/types.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import type { LaneRepo } from "../../src/storage/lanes.js";
import { addAgent, agreement, type Fleet, settled, startFleet } from "./harness.js";

/**
 * An agent's ledger lane is fleet-wide (src/jobs/tasks/ledger-sync.ts): two pf-fleet processes on one database
 * (here two fleets on one SQLite file, or one PostgreSQL database, each with its own engine, client and in-memory
 * lanes) betting for the same agent at once send its calls one at a time, each followed by a sync, so no read of
 * the 50-row window misses a row between two calls, however many processes send them.
 */

/** a call held open this long before it reaches the casino: long enough that two processes' calls would meet */
const SLOW_SEND_MS = 300;

describe("the fleet-wide ledger lane", () => {
  let sandbox: RunningSandbox | undefined;
  const fleets: Fleet[] = [];
  afterEach(async () => {
    // the second fleet first: the first one owns (and removes) the database's temp dir
    for (const f of fleets.splice(0).reverse()) await f.close();
    await sandbox?.close();
    sandbox = undefined;
  });

  /** a fleet that runs no jobs (its lanes are driven by hand) and a funded agent of it */
  async function idleFleet(): Promise<{ f: Fleet; agentId: string }> {
    sandbox = await startSandbox({ rateLimits: false });
    const f = await startFleet({ sandbox, start: false });
    fleets.push(f);
    return { f, agentId: await addAgent(f, sandbox, 5) };
  }

  /**
   * Times every bet call the fleet sends, from the moment its lane let it go until its answer, and runs
   * `atStart` as each begins.
   */
  function timeCalls(
    f: Fleet,
    name: string,
    calls: Array<{ name: string; start: number; end: number }>,
    atStart: () => void,
  ): void {
    const casino = f.client.casino as { batch: CasinoClient["batch"] };
    const batch = casino.batch.bind(casino);
    casino.batch = async (...args) => {
      const start = performance.now();
      atStart();
      try {
        await sleep(SLOW_SEND_MS);
        return await batch(...args);
      } finally {
        calls.push({ name, start, end: performance.now() });
      }
    };
  }

  it("sends one agent's calls from two processes one at a time, and its ledger misses no deposit", async () => {
    sandbox = await startSandbox({ rateLimits: false });
    // at most 2 bet calls held per process (none claimed ahead): each process takes some of the 6, whoever
    // submitted them
    const small = { concurrency: { casino: 2 }, engine: { prefetch: { casino: 0 } } };
    const a = await startFleet({ sandbox, ...small });
    fleets.push(a);
    const b = await startFleet({ sandbox, dbPath: a.dbPath, ...small });
    fleets.push(b);
    const agentId = await addAgent(a, sandbox, 20);
    const calls: Array<{ name: string; start: number; end: number }> = [];
    // A deposit lands as each of the first calls starts: the sync after that call must still find it in the
    // 50-row window, however many processes are betting. (A credit landing just after a sync, in one process, is
    // a case of ledger-window.test.ts.)
    const deposits = [0.37, 0.41, 0.43, 0.47];
    const pending = [...deposits];
    const deposit = () => {
      const usd = pending.shift();
      if (usd !== undefined) sandbox?.fund(agentId, usd);
    };
    timeCalls(a, "a", calls, deposit);
    timeCalls(b, "b", calls, deposit);

    const plan = async (f: Fleet) =>
      planBatch({
        bet: { game: "coin-flip", side: "heads" },
        count: 60,
        amount: usdToMicros(0.01),
        agents: await loadBankrolls(f.deps, [agentId]),
      });
    const [planA, planB] = await Promise.all([plan(a), plan(b)]);
    const [chordA, chordB] = await Promise.all([submitBatch(a.deps, planA), submitBatch(b.deps, planB)]);
    const done = await Promise.all([settled(a.engine, chordA.id, 120_000), settled(b.engine, chordB.id, 120_000)]);
    expect(done.map((c) => c.state)).toEqual(["succeeded", "succeeded"]);

    // 6 calls of 20 bets, sent by both processes, and never two at once
    expect(calls).toHaveLength(6);
    expect(new Set(calls.map((c) => c.name))).toEqual(new Set(["a", "b"]));
    const inOrder = [...calls].sort((x, y) => x.start - y.start);
    const overlaps = inOrder.slice(1).filter((c, i) => c.start < (inOrder[i] as (typeof inOrder)[number]).end);
    expect(overlaps, JSON.stringify(inOrder)).toEqual([]);

    const refresh = await settled(a.engine, (await a.engine.enqueue(TASK.ledgerRefresh, {})).id);
    expect(refresh.state).toBe("succeeded");
    const agreed = await agreement(a.storage, a.fleet, a.client, sandbox, [agentId]);
    expect(agreed.serverBets).toHaveLength(120);
    expect([agreed.onlyOnServer, agreed.onlyInLedger, agreed.seedsPlacedTwice]).toEqual([[], [], []]);
    const [balance] = agreed.balances;
    expect(balance?.local).toBe(balance?.server);
    // every deposit was read from the server's ledger and booked as itself; nothing was left to `unattributed`
    const imported = await listMovements(a.storage, {
      agentIds: [agentId],
      kinds: ["deposit", "external"],
      limit: 1000,
    });
    expect(imported.filter((m) => m.reference?.startsWith("unattributed:"))).toEqual([]);
    expect(imported.map((m) => [m.kind, m.amount]).sort((x, y) => Number(x[1]) - Number(y[1]))).toEqual(
      deposits.map((usd) => ["deposit", usdToMicros(usd)]),
    );
    const [line] = await reconciliationReport(a.storage, new Map([[agentId, balance?.server as number]]));
    expect(line).toMatchObject({ ok: true, unattributed: 0 });
  }, 180_000);

  it("a call stopped while another process holds the lane is not sent, and frees this process's lane", async () => {
    const { f, agentId } = await idleFleet();
    const nudger = new LedgerNudger(f.deps, f.deps.logger);
    const sent: string[] = [];
    // another process's call holds the agent's lane (its lease runs a minute)
    expect(await f.storage.lanes.tryAcquire([agentId], "another-process", Date.now(), 60_000, 0)).toEqual({
      acquired: true,
    });
    const stopped = nudger.lane(agentId, async () => sent.push("stopped"), AbortSignal.timeout(300));
    await expect(stopped).rejects.toSatisfy((err) => err instanceof FleetError && err.code === "CANCELLED");
    expect(sent).toEqual([]);
    // once the other process frees it, the next call of this process goes out (nothing here still holds it)
    await f.storage.lanes.release([agentId], "another-process");
    await nudger.lane(agentId, async () => sent.push("next"));
    expect(sent).toEqual(["next"]);
  }, 30_000);

  it("a call stopped while it waits out its agent's pace is not sent, and frees the fleet-wide lane at once", async () => {
    const { f, agentId } = await idleFleet();
    const nudger = new LedgerNudger(f.deps, f.deps.logger);
    const sent: string[] = [];
    await nudger.lane(agentId, async () => sent.push("first"));
    // the next call must wait until 2 s after the first began; the job stops (a shutdown, a cancel) meanwhile
    const started = performance.now();
    const stopped = nudger.lane(agentId, async () => sent.push("stopped"), AbortSignal.timeout(200));
    await expect(stopped).rejects.toSatisfy((err) => err instanceof FleetError && err.code === "CANCELLED");
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(sent).toEqual(["first"]);
    // nothing holds the lane any more: another process may take it once the pace allows (not after a lease)
    const paced = Date.now() + 2_100;
    expect(await f.storage.lanes.tryAcquire([agentId], "another-process", paced, 60_000, 0)).toEqual({
      acquired: true,
    });
  }, 30_000);

  it("sends without the fleet-wide lane, and says so, when storage cannot give it", async () => {
    const { f, agentId } = await idleFleet();
    const broken: LaneRepo = {
      tryAcquire: () => Promise.reject(new Error("SQLITE_IOERR: disk I/O error")),
      release: () => Promise.reject(new Error("SQLITE_IOERR: disk I/O error")),
    };
    Object.defineProperty(f.storage, "lanes", { value: broken });
    const warnings: string[] = [];
    const nudger = new LedgerNudger(f.deps, { warn: (_obj: unknown, msg?: string) => warnings.push(msg ?? "") });
    expect(await nudger.lane(agentId, async () => "sent")).toBe("sent");
    expect(warnings).toEqual([expect.stringMatching(/^could not take the fleet-wide ledger lane; sending without it/)]);
  }, 30_000);
});
