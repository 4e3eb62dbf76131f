import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { FleetError } from "../../src/errors.js";
import {
  AGGREGATE_BET_RESULTS,
  type BetAggregate,
  type ChordMemberOutcome,
  type JobEngine,
  ManualClock,
} from "../../src/jobs/index.js";
import { type TempDb, tempDb } from "./support/db.js";
import { inState, plainTask, taskWithArgs, testEngine, unavailable } from "./support/engine.js";

const collectArgs = z.looseObject({ results: z.array(z.custom<ChordMemberOutcome>()) });
const once = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, jitter: 0 };

describe("canvas: group, chord, chain", () => {
  let t: TempDb;
  let engine: JobEngine;
  let callbackRuns: Array<{ results: ChordMemberOutcome[] }>;

  beforeEach(() => {
    t = tempDb();
    engine = testEngine(t.storage);
    callbackRuns = [];
    engine.register(plainTask<{ n: number }>("square", async ({ args }) => args.n * args.n));
    engine.register(
      plainTask("refuse", async () => {
        throw new FleetError("KELLY_LIMIT_EXCEEDED", "kelly_limit_exceeded");
      }),
    );
    engine.register(plainTask("flaky", async () => Promise.reject(unavailable("still down")), { retry: once }));
    engine.register(
      taskWithArgs("collect", collectArgs, async ({ args }) => {
        callbackRuns.push(args);
        return { count: args.results.length };
      }),
    );
  });
  afterEach(async () => {
    await engine.stop({ graceMs: 100 });
    await t.cleanup();
  });

  it("a group waits for every member, then reports each result", async () => {
    await engine.start();
    const group = await engine.group({ members: [1, 2, 3].map((n) => ({ task: "square", args: { n } })) });
    expect(group.state).toBe("waiting");
    const done = await engine.wait(group.id, { timeoutMs: 10_000 });
    expect(done.state).toBe("succeeded");
    const { results } = done.result as { results: ChordMemberOutcome[] };
    expect(results.map((r) => [r.state, r.result])).toEqual([
      ["succeeded", 1],
      ["succeeded", 4],
      ["succeeded", 9],
    ]);
    expect(done.progress).toEqual({ done: 3, total: 3 });
    expect((await engine.list({ canvasId: group.id })).jobs).toHaveLength(3);
  });

  it("a chord whose members fail still runs its callback exactly once, with every outcome", async () => {
    await engine.start();
    const chord = await engine.chord({
      members: [
        { task: "square", args: { n: 2 } },
        { task: "refuse", args: {} },
        { task: "square", args: { n: 3 } },
        { task: "flaky", args: {} },
      ],
      callback: { task: "collect", args: { label: "batch-7" } },
    });
    const done = await engine.wait(chord.id, { timeoutMs: 10_000 });

    expect(done).toMatchObject({ state: "succeeded", result: { count: 4 } });
    expect(callbackRuns).toHaveLength(1);
    const [run] = callbackRuns;
    expect(run).toMatchObject({ label: "batch-7" });
    expect(run?.results.map((r) => r.state)).toEqual(["succeeded", "failed", "succeeded", "dead"]);
    expect(run?.results[1]?.error).toMatchObject({ code: "KELLY_LIMIT_EXCEEDED" });
    expect(run?.results[3]?.error).toMatchObject({ code: "UPSTREAM_UNAVAILABLE", message: "still down" });
  });

  it("a dead member retried while its group still waits is waited for again; the group ends once, after the last", async () => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let tries = 0;
    engine.register(plainTask("slow", async () => gate.then(() => "slow done")));
    engine.register(
      plainTask(
        "dies-once",
        async () => {
          tries++;
          if (tries === 1) throw unavailable("first try");
          return "second try";
        },
        { retry: once },
      ),
    );
    await engine.start();
    const group = await engine.group({
      members: [
        { task: "dies-once", args: {} },
        { task: "slow", args: {} },
      ],
    });
    const dying = (await engine.list({ canvasId: group.id, task: "dies-once" })).jobs[0]?.id ?? "";
    await inState(engine, dying, "dead");
    await engine.retry(dying);
    await inState(engine, dying, "succeeded");
    // the retried member was counted again: its success alone does not finish the group
    expect(await engine.get(group.id)).toMatchObject({ state: "waiting", progress: { done: 1, total: 2 } });

    release();
    const done = await engine.wait(group.id, { timeoutMs: 10_000 });
    expect(done).toMatchObject({ state: "succeeded", progress: { done: 2, total: 2 } });
    const { results } = done.result as { results: ChordMemberOutcome[] };
    expect(results.map((r) => [r.state, r.result])).toEqual([
      ["succeeded", "second try"],
      ["succeeded", "slow done"],
    ]);
    expect((await engine.events(group.id)).filter((e) => e.to === "succeeded")).toHaveLength(1);
  });

  it("a chord in flight when its database is upgraded still fires once, when its last members finish", async () => {
    await engine.stop();
    const chord = await engine.chord({
      members: [2, 3, 4].map((n) => ({ task: "square", args: { n } })),
      callback: { task: "collect" },
    });
    const [first] = (await engine.list({ canvasId: chord.id, limit: 10 })).jobs
      .filter((m) => m.task === "square")
      .reverse();
    // the database as the first release left it: one member already done, no member count on the chord
    t.db
      .prepare("UPDATE jobs SET state = 'succeeded', result = '4', finished_at = updated_at WHERE id = ?")
      .run(first?.id);
    t.db.exec(
      `DROP INDEX jobs_mcp_tasks; ALTER TABLE jobs DROP COLUMN mcp_task; ALTER TABLE jobs DROP COLUMN open_members;
       DELETE FROM schema_migrations WHERE module = 'jobs' AND version > 1`,
    );

    // the upgrade runs when the new release opens the database
    engine = testEngine(t.open());
    engine.register(plainTask<{ n: number }>("square", async ({ args }) => args.n * args.n));
    engine.register(
      taskWithArgs("collect", collectArgs, async ({ args }) => {
        callbackRuns.push(args);
        return "collected";
      }),
    );
    await engine.start();
    const done = await engine.wait(chord.id, { timeoutMs: 10_000 });
    expect(done.state).toBe("succeeded");
    expect(callbackRuns).toHaveLength(1);
    expect(callbackRuns[0]?.results.map((r) => [r.state, r.result])).toEqual([
      ["succeeded", 4],
      ["succeeded", 9],
      ["succeeded", 16],
    ]);
  });

  it("a chord deadline fires the callback with unfinished members reported as pending", async () => {
    await engine.stop();
    const clock = new ManualClock();
    engine = testEngine(t.storage, { clock });
    engine.register(plainTask<{ n: number }>("square", async ({ args }) => args.n * args.n));
    engine.register(plainTask("hang", () => new Promise(() => {})));
    engine.register(
      taskWithArgs("collect", collectArgs, async ({ args }) => {
        callbackRuns.push(args);
        return "reported";
      }),
    );
    await engine.start();
    const chord = await engine.chord({
      members: [
        { task: "square", args: { n: 4 } },
        { task: "hang", args: {} },
      ],
      callback: { task: "collect" },
      deadlineAt: clock.now() + 5_000,
    });
    const members = (await engine.list({ canvasId: chord.id })).jobs;
    const hang = members.find((m) => m.task === "hang");
    await inState(engine, hang?.id ?? "", "running");
    clock.advance(5_000);
    const done = await engine.wait(chord.id, { timeoutMs: 10_000 });
    expect(done.state).toBe("succeeded");
    expect(callbackRuns).toHaveLength(1);
    expect(callbackRuns[0]?.results.map((r) => r.state)).toEqual(["succeeded", "running"]);
  });

  it("a chain hands each result on as `previous` and stops at a failing step, saying which and why", async () => {
    const incArgs = z.object({ start: z.number().optional(), previous: z.number().optional() });
    engine.register(taskWithArgs("inc", incArgs, async ({ args }) => (args.previous ?? args.start ?? 0) + 1));
    await engine.start();
    const good = await engine.chain({
      steps: [
        { task: "inc", args: { start: 1 } },
        { task: "inc", args: {} },
        { task: "inc", args: {} },
      ],
    });
    const bad = await engine.chain({
      steps: [
        { task: "inc", args: { start: 1 } },
        { task: "refuse", args: {} },
        { task: "inc", args: {} },
      ],
    });

    const ok = await engine.wait(good.id, { timeoutMs: 10_000 });
    expect(ok).toMatchObject({ state: "succeeded", result: 4, progress: { done: 3, total: 3 } });

    const failed = await engine.wait(bad.id, { timeoutMs: 10_000 });
    expect(failed.state).toBe("failed");
    expect(failed.error).toMatchObject({ code: "KELLY_LIMIT_EXCEEDED", details: { failedStep: 2 } });
    expect(failed.error?.message).toMatch(/step 2 of 3 \(refuse\) ended failed: KELLY_LIMIT_EXCEEDED/);
    // the third step was never created
    expect((await engine.list({ canvasId: bad.id })).jobs.map((j) => j.task).sort()).toEqual(["inc", "refuse"]);
  });

  it("retrying the step that stopped a chain resumes the chain from that step", async () => {
    const incArgs = z.object({ start: z.number().optional(), previous: z.number().optional() });
    engine.register(taskWithArgs("inc", incArgs, async ({ args }) => (args.previous ?? args.start ?? 0) + 1));
    let upstreamDown = true;
    engine.register(
      taskWithArgs("double", incArgs, async ({ args }) => {
        if (upstreamDown) throw new FleetError("UPSTREAM_REJECTED", "refused for now");
        return (args.previous ?? 0) * 2;
      }),
    );
    await engine.start();
    const chain = await engine.chain({
      steps: [
        { task: "inc", args: { start: 1 } },
        { task: "double", args: {} },
        { task: "inc", args: {} },
      ],
    });
    const stopped = await engine.wait(chain.id, { timeoutMs: 10_000 });
    expect(stopped.state).toBe("failed");
    const failedStep = (await engine.list({ canvasId: chain.id, task: "double" })).jobs[0];

    upstreamDown = false;
    await engine.retry(failedStep?.id as string);
    const resumed = await engine.wait(chain.id, { timeoutMs: 10_000 });
    expect(resumed).toMatchObject({ state: "succeeded", result: 5, error: null, progress: { done: 3, total: 3 } });
    expect((await engine.events(chain.id)).map((e) => e.to)).toEqual(["waiting", "failed", "waiting", "succeeded"]);
    // a retry of a step that did not stop it (the first, succeeded) is refused as before
    const first = (await engine.list({ canvasId: chain.id, task: "inc" })).jobs.find((j) => j.result === 2);
    await expect(engine.retry(first?.id as string)).rejects.toThrow(/only dead, failed or unknown/);
  });

  it("cancelling a chord cancels its members, and its callback never runs", async () => {
    const chord = await engine.chord({
      members: [{ task: "square", args: { n: 1 } }],
      callback: { task: "collect" },
    });
    expect((await engine.cancel(chord.id)).state).toBe("cancelled");
    await engine.start();
    const member = (await engine.list({ canvasId: chord.id })).jobs[0];
    expect(member?.state).toBe("cancelled");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(callbackRuns).toEqual([]);
  });

  it("aggregate_bet_results totals the bets of a chord and lists what failed and why", async () => {
    const bets = {
      win: {
        clientSeed: "s1",
        betId: "bet_1",
        game: "coin-flip",
        stake: 1_000_000,
        payout: 1_990_000,
        net: 990_000,
        won: true,
      },
      loss: { clientSeed: "s2", betId: "bet_2", game: "dice", stake: 500_000, payout: 0, net: -500_000, won: false },
      small: { clientSeed: "s3", betId: "bet_3", game: "crash", stake: 200_000, payout: 0, net: -200_000, won: false },
    };
    const betArgs = z.object({ which: z.enum(["win", "loss", "small"]) });
    engine.register(taskWithArgs("bet", betArgs, async ({ args }) => bets[args.which]));
    await engine.start();
    const chord = await engine.chord({
      members: [
        { task: "bet", args: { which: "win" } },
        { task: "bet", args: { which: "loss" } },
        { task: "refuse", args: {} },
        { task: "bet", args: { which: "small" } },
      ],
      callback: { task: AGGREGATE_BET_RESULTS },
    });
    const done = await engine.wait(chord.id, { timeoutMs: 10_000 });
    const report = done.result as BetAggregate;

    expect(report).toMatchObject({
      totalBets: 3,
      wins: 1,
      losses: 2,
      wagered: 1_700_000,
      returned: 1_990_000,
      totalPnl: 990_000 - 500_000 - 200_000,
      best: { betId: "bet_1", net: 990_000 },
      worst: { betId: "bet_2", net: -500_000 },
      pending: [],
    });
    expect(report.winRate).toBeCloseTo(1 / 3, 12);
    expect(report.failed).toHaveLength(1);
    expect(report.failed[0]?.reason).toBe("KELLY_LIMIT_EXCEEDED: kelly_limit_exceeded");
    const aggregateId = (await engine.list({ task: AGGREGATE_BET_RESULTS })).jobs[0]?.id ?? "";
    expect((await engine.get(aggregateId))?.queue).toBe("analytics");
  });

  it("aggregate_bet_results sums bet-batch members from their totals, counting bets, not jobs", async () => {
    const seedsArgs = z.object({ clientSeeds: z.array(z.string()), nets: z.array(z.number()) });
    // a member's result as casino.bet_batch returns it: totals of $0.10 coin flips (a win pays 1.95×)
    const summary = (seeds: string[], nets: number[]) => {
      const line = (i: number) => ({ clientSeed: seeds[i], betId: `bet_${seeds[i]}`, game: "coin-flip", net: nets[i] });
      const best = nets.indexOf(Math.max(...nets));
      const worst = nets.indexOf(Math.min(...nets));
      return {
        agentId: "ag_aaaaaa",
        placed: nets.length,
        wins: nets.filter((n) => n > 0).length,
        losses: nets.filter((n) => n < 0).length,
        wagered: 100_000 * nets.length,
        returned: nets.reduce((sum, n) => sum + n + 100_000, 0),
        pnl: nets.reduce((sum, n) => sum + n, 0),
        nets,
        best: nets.length ? line(best) : null,
        worst: nets.length ? line(worst) : null,
        refused: seeds
          .slice(nets.length)
          .map((clientSeed) => ({ clientSeed, code: "KELLY_LIMIT_EXCEEDED", reason: "over (kelly_limit_exceeded)" })),
      };
    };
    engine.register(taskWithArgs("batch", seedsArgs, async ({ args }) => summary(args.clientSeeds, args.nets)));
    await engine.start();
    const chord = await engine.chord({
      members: [
        { task: "batch", args: { clientSeeds: ["a1", "a2", "a3"], nets: [95_000, -100_000] } },
        { task: "batch", args: { clientSeeds: ["b1", "b2"], nets: [-100_000, 95_000] } },
        { task: "batch", args: { clientSeeds: ["c1"], nets: [] } },
      ],
      callback: { task: AGGREGATE_BET_RESULTS },
    });
    const report = (await engine.wait(chord.id, { timeoutMs: 10_000 })).result as BetAggregate;
    const members = (await engine.list({ canvasId: chord.id, task: "batch" })).jobs;
    const first = members.find((m) => (m.args as { clientSeeds: string[] }).clientSeeds[0] === "a1");

    expect(report).toMatchObject({
      totalBets: 4,
      wins: 2,
      losses: 2,
      wagered: 400_000,
      returned: 390_000,
      totalPnl: -10_000,
      failedBets: 2,
      pendingBets: 0,
    });
    expect(report.winRate).toBe(0.5);
    // equal bests and worsts: the first member's stands, named with its job
    expect(report.best).toEqual({
      jobId: first?.id,
      clientSeed: "a1",
      betId: "bet_a1",
      game: "coin-flip",
      net: 95_000,
    });
    expect(report.worst).toMatchObject({ jobId: first?.id, clientSeed: "a2", net: -100_000 });
    expect(report.failed.map((x) => [x.clientSeed, x.bets])).toEqual([
      ["a3", 1],
      ["c1", 1],
    ]);
  });

  it("aggregate_bet_results reads a member result with totals that do not add up as not a bet", async () => {
    engine.register(
      plainTask("batch", async () => ({
        agentId: "ag_aaaaaa",
        placed: 2,
        wins: 1,
        losses: 1,
        wagered: 200_000,
        returned: 195_000,
        pnl: 0, // should be −5,000
        nets: [95_000, -100_000],
        best: null,
        worst: null,
        refused: [],
      })),
    );
    await engine.start();
    const chord = await engine.chord({
      members: [{ task: "batch", args: {} }],
      callback: { task: AGGREGATE_BET_RESULTS },
    });
    const report = (await engine.wait(chord.id, { timeoutMs: 10_000 })).result as BetAggregate;
    expect(report).toMatchObject({ totalBets: 0, failedBets: 1 });
    expect(report.failed[0]?.reason).toMatch(/^result is not a bet/);
  });

  it("aggregate_bet_results counts the bets of members of an earlier version, which listed every bet", async () => {
    const bet = (clientSeed: string, net: number) => ({
      clientSeed,
      betId: `bet_${clientSeed}`,
      game: "coin-flip",
      stake: 100_000,
      payout: 100_000 + net,
      net,
      won: net > 0,
    });
    const seedsArgs = z.object({ clientSeeds: z.array(z.string()) });
    engine.register(
      taskWithArgs("batch", seedsArgs, async () => ({
        agentId: "ag_aaaaaa",
        bets: [bet("a1", 95_000), bet("a2", -100_000)],
        refused: [{ clientSeed: "a3", code: "KELLY_LIMIT_EXCEEDED", reason: "Bet exceeds cap (kelly_limit_exceeded)" }],
      })),
    );
    engine.register(
      taskWithArgs("batch_refused", seedsArgs, async () => {
        throw new FleetError("TRADING_PAUSED", "trading is paused");
      }),
    );
    await engine.start();
    const chord = await engine.chord({
      members: [
        { task: "batch", args: { clientSeeds: ["a1", "a2", "a3"] } },
        { task: "batch_refused", args: { clientSeeds: ["b1", "b2", "b3", "b4"] } },
      ],
      callback: { task: AGGREGATE_BET_RESULTS },
    });
    const report = (await engine.wait(chord.id, { timeoutMs: 10_000 })).result as BetAggregate;

    expect(report).toMatchObject({ totalBets: 2, wins: 1, losses: 1, totalPnl: -5_000, failedBets: 5 });
    expect(report.failed).toEqual([
      expect.objectContaining({
        clientSeed: "a3",
        bets: 1,
        reason: "KELLY_LIMIT_EXCEEDED: Bet exceeds cap (kelly_limit_exceeded)",
      }),
      expect.objectContaining({ task: "batch_refused", state: "failed", bets: 4 }),
    ]);
  });
});
