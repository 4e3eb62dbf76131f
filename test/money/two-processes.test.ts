import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BetAggregate } from "../../src/jobs/index.js";
import { loadBankrolls, planBatch, submitBatch, TASK } from "../../src/jobs/tasks/index.js";
import { batchCallClaims } from "../../src/jobs/tasks/rate-gate.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, agreement, type Fleet, settled, startFleet } from "./harness.js";
import { startWorker, stopWorker, type Worker } from "./processes.js";

/** 10 bets/batch calls of 20 per agent: exactly the casino's per-agent limit of 10 calls a minute. */
const BETS = 400;
const CALLS = BETS / 20;

/** The sandbox's limiters for faucet claims at registration are not the subject here. */
const FAUCET_LIMITERS = new Set(["faucet-ip-24h", "faucet-ip"]);

describe("two processes on one database share the casino queue, with the real rate limits on", () => {
  let sandbox: RunningSandbox;
  let f: Fleet;
  const workers: Worker[] = [];

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: true });
    f = await startFleet({ sandbox, start: false, rateLimits: true });
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w)));
    await f?.close();
    await sandbox?.close();
  });

  it("runs every job once, settles every client_seed once, and never draws a 429", async () => {
    const agents = [await addAgent(f, sandbox, 100), await addAgent(f, sandbox, 100)];
    const plan = planBatch({
      bet: { game: "multiplier", target_multiplier: 1.5 },
      count: BETS,
      amount: usdToMicros(0.02),
      agents: await loadBankrolls(f.deps, agents),
    });
    sandbox.resetStats();
    // Each call takes a while and each worker runs two at a time, so the first worker up cannot finish the whole
    // batch before the second one starts: both must take a share for this to test anything.
    sandbox.setFaults({ latencyMs: 250, scope: "money" });
    const startedAt = Date.now();
    const chord = await submitBatch(f.deps, plan);
    workers.push(
      ...(await Promise.all(
        [1, 2].map(() => startWorker({ dbPath: f.dbPath, sandbox, rateLimits: true, concurrency: { casino: 2 } })),
      )),
    );
    const done = await settled(f.engine, chord.id, 90_000);
    const elapsedMs = Date.now() - startedAt;
    sandbox.setFaults(null);
    const stats = sandbox.stats();
    expect(done.state).toBe("succeeded");
    expect((done.result as BetAggregate).totalBets).toBe(BETS);

    // No job ran twice: each bet-batch job was claimed exactly once, and both processes took a share.
    const owners = new Map<string, number>();
    const members = (await f.engine.list({ canvasId: chord.id, task: TASK.betBatch, limit: 500 })).jobs;
    expect(members).toHaveLength(CALLS);
    for (const job of members) {
      const claims = (await f.engine.events(job.id)).filter((e) => e.to === "running");
      expect(claims, job.id).toHaveLength(1);
      const owner = /claimed by (\S+):/.exec(claims[0]?.reason ?? "")?.[1] ?? "?";
      owners.set(owner, (owners.get(owner) ?? 0) + 1);
    }
    expect(owners.size).toBe(2);

    const a = await agreement(f.storage, f.fleet, f.client, sandbox, agents);
    expect(a.serverBets).toHaveLength(BETS);
    expect(a.seedsPlacedTwice).toEqual([]);
    expect(a.onlyOnServer).toEqual([]);
    for (const b of a.balances) expect(b.local, b.agentId).toBe(b.server);

    // The server's own limiters (fixed 60 s windows per agent and per IP+path) never had to refuse a call…
    expect(Object.keys(stats.rateLimited).filter((k) => !FAUCET_LIMITERS.has(k))).toEqual([]);
    // …and no agent made more batch calls than its limit allows over the run (at most `limit` per window).
    // (An agent's ledger is also read after each call; those reads have no per-agent limit.)
    const limit = batchCallClaims(agents[0] as string)[0] as { limit: number; windowMs: number };
    for (const agentId of agents) {
      expect(stats.byAgentRoute[agentId]?.["POST /api/v1/bets/batch"] ?? 0, agentId).toBeLessThanOrEqual(
        limit.limit * Math.ceil(elapsedMs / limit.windowMs),
      );
    }
    // The bets really travelled in full batches: one call per member job.
    expect(stats.byRoute["POST /api/v1/bets/batch"]).toBe(CALLS);
  }, 120_000);
});
