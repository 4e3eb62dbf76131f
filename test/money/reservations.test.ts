import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import { type BatchPlan, planBatch, submitBatch, TASK } from "../../src/jobs/tasks/index.js";
import { listBets } from "../../src/ledger/index.js";
import { usdToMicros } from "../../src/money.js";
import { type RunningSandbox, startSandbox } from "../../src/sandbox/index.js";
import { addAgent, type Fleet, settled, startFleet } from "./harness.js";

/**
 * In-flight stakes are reserved against the daily loss limits when a batch is accepted, in one transaction on the
 * shared database, so two processes submitting at once cannot both pass a limit that only one fits under; the
 * reservation gives way to the realised result as bets settle and is released when a job ends.
 * Two fleets on one database stand for two processes (SQLite file / PostgreSQL database).
 */
describe("stakes in flight are reserved against the daily loss limits, atomically across processes", () => {
  let sandbox: RunningSandbox;
  let a: Fleet;
  let b: Fleet;
  let agent: string;
  const limits = {
    maxBet: usdToMicros(1),
    maxBatch: usdToMicros(10),
    dailyLossLimit: usdToMicros(5),
    fleetDailyLossLimit: usdToMicros(50),
    maxTransfer: usdToMicros(1),
    dailyTransfer: usdToMicros(2),
  };

  /** `count` bets of $1 for the agent: a worst case of `count` dollars */
  const plan = (count: number, agentId = agent): BatchPlan =>
    planBatch({
      bet: { game: "coin-flip", side: "heads" },
      count,
      amount: usdToMicros(1),
      agents: [{ agentId, balance: usdToMicros(1_000), riskFactor: 1 }],
      seedPrefix: `res-${randomBytes(4).toString("hex")}`,
    });
  const reserved = async () => (await a.fleet.liveReservations()).reduce((n, r) => n + r.amount, 0);

  beforeAll(async () => {
    sandbox = await startSandbox({ rateLimits: false });
    // no dispatchers yet: accepted batches stay queued, so their stakes stay in flight
    a = await startFleet({ sandbox, limits, start: false });
    b = await startFleet({ sandbox, limits, start: false, dbPath: a.dbPath });
    agent = await addAgent(a, sandbox, 1_000);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await sandbox?.close();
  });

  it("of two concurrent $4 batches under a $5 daily loss limit exactly one is accepted; the other writes nothing", async () => {
    const jobsBefore = (await a.engine.list({ limit: 500 })).jobs.length;
    const outcomes = await Promise.allSettled([submitBatch(a.deps, plan(4)), submitBatch(b.deps, plan(4))]);
    const accepted = outcomes.filter((o) => o.status === "fulfilled");
    const refused = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : []));
    expect(accepted).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(FleetError);
    expect(refused[0]).toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { limit: "dailyLossLimit", in_flight_usd: 4 },
    });
    // the accepted batch holds its worst case; the refused one left no job and no reservation
    expect(await reserved()).toBe(usdToMicros(4));
    const jobsAfter = (await a.engine.list({ limit: 500 })).jobs;
    expect(jobsAfter.length - jobsBefore).toBe(1 + 1); // one chord, one member (4 bets in one call)
    // $1 of headroom is left, seen by either process
    await expect(submitBatch(b.deps, plan(2))).rejects.toMatchObject({ code: "LIMIT_EXCEEDED" });
    await submitBatch(b.deps, plan(1));
    expect(await reserved()).toBe(usdToMicros(5));

    // cancelling releases: every reservation of a cancelled job is gone, and the headroom is back
    for (const chord of (await a.engine.list({ state: "waiting", limit: 50 })).jobs) await a.engine.cancel(chord.id);
    expect(await reserved()).toBe(0);
  });

  it("a reservation gives way to the settled result: after the bets settle only realised losses count", async () => {
    sandbox.resetStats();
    const chord = await submitBatch(a.deps, plan(5));
    expect(await reserved()).toBe(usdToMicros(5));
    await expect(submitBatch(b.deps, plan(1))).rejects.toMatchObject({ code: "LIMIT_EXCEEDED" });
    await a.engine.start();
    const done = await settled(a.engine, chord.id);
    expect(done.state).toBe("succeeded");
    expect(await reserved()).toBe(0);
    const bets = await listBets(a.storage, { agentIds: [agent] });
    const lost = Math.max(0, -bets.reduce((n, bet) => n + bet.net, 0));
    expect(sandbox.stats().byRoute["POST /api/v1/bets/batch"]).toBe(1);
    // the headroom is now limit − realised loss: a batch of exactly that size is accepted, one dollar more is not
    const headroomBets = Math.floor((usdToMicros(5) - lost) / usdToMicros(1));
    if (headroomBets < 10) {
      await expect(submitBatch(b.deps, plan(headroomBets + 1))).rejects.toMatchObject({ code: "LIMIT_EXCEEDED" });
    }
    if (headroomBets > 0) {
      const next = await submitBatch(b.deps, plan(Math.min(headroomBets, 10)));
      expect((await settled(a.engine, next.id)).state).toBe("succeeded");
    }
    expect(await reserved()).toBe(0);
    await a.engine.stop({ graceMs: 1_000 });
  });

  it("a job that fails releases its reservation (a paused fleet fails the member before it sends)", async () => {
    // an agent of its own: the one above has realised losses today
    const fresh = await addAgent(a, sandbox, 100);
    const chord = await submitBatch(a.deps, plan(3, fresh));
    expect(await reserved()).toBe(usdToMicros(3));
    await a.fleet.pause({ reason: "stop" });
    sandbox.resetStats();
    await a.engine.start();
    await settled(a.engine, chord.id);
    await a.fleet.resume({});
    const [member] = (await a.engine.list({ canvasId: chord.id, limit: 10 })).jobs.filter(
      (j) => j.task === TASK.betBatch,
    );
    expect(member).toMatchObject({ state: "failed", error: { code: "TRADING_PAUSED" } });
    expect(await reserved()).toBe(0);
    expect(sandbox.stats().requests).toBe(0);
    await a.engine.stop({ graceMs: 1_000 });
  });

  it("transfers: the daily total holds across processes, in flight included ($2 a day, $1 each: two of three go)", async () => {
    const payee = await addAgent(a, sandbox, 0);
    const send = (f: Fleet, usd: number) =>
      f.engine.enqueue(TASK.transfer, {
        agentId: agent,
        toAgentId: payee,
        amount: usdToMicros(usd),
        requestId: `req-${randomBytes(6).toString("hex")}`,
      });
    const jobs = [await send(a, 1), await send(b, 1), await send(a, 0.5)];
    sandbox.resetStats();
    await Promise.all([a.engine.start(), b.engine.start()]);
    const done = await Promise.all(jobs.map((j) => settled(a.engine, j.id)));
    const states = done.map((d) => d.state).sort();
    expect(states).toEqual(["failed", "succeeded", "succeeded"]);
    const failed = done.find((d) => d.state === "failed");
    expect(failed?.error).toMatchObject({ code: "LIMIT_EXCEEDED", details: { limit: "dailyTransfer" } });
    expect(failed?.moneyState).toBe("not_done");
    expect(sandbox.stats().byRoute["POST /api/v1/stats/pay"]).toBe(2);
    // one above the per-call max is refused at send time with nothing sent
    const big = await send(b, 1.5);
    expect(await settled(a.engine, big.id)).toMatchObject({
      state: "failed",
      error: { code: "LIMIT_EXCEEDED", details: { limit: "maxTransfer" } },
    });
    expect(sandbox.stats().byRoute["POST /api/v1/stats/pay"]).toBe(2);
    expect(await a.fleet.liveReservations()).toEqual([]);
  });
});
