import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import type { JobEngine, JobEvent } from "../../src/jobs/index.js";
import { type TempDb, tempDb } from "./support/db.js";
import { plainTask, testEngine } from "./support/engine.js";

describe("job engine: enqueue, run, observe", () => {
  let t: TempDb;
  let engine: JobEngine;

  beforeEach(() => {
    t = tempDb();
    engine = testEngine(t.storage);
  });
  afterEach(async () => {
    await engine.stop({ graceMs: 100 });
    await t.cleanup();
  });

  it("runs a job to success; wait() returns its result and every transition is recorded with a reason", async () => {
    engine.register(plainTask<{ n: number }>("double", async ({ args }) => ({ doubled: args.n * 2 })));
    await engine.start();
    const job = await engine.enqueue("double", { n: 21 });

    const done = await engine.wait(job.id, { timeoutMs: 10_000 });

    expect(done).toMatchObject({ state: "succeeded", result: { doubled: 42 }, attempts: 1, leaseOwner: null });
    const events = await engine.events(job.id);
    expect(events.map((e) => [e.from, e.to])).toEqual([
      [null, "queued"],
      ["queued", "running"],
      ["running", "succeeded"],
    ]);
    for (const e of events) expect(e.reason.length).toBeGreaterThan(0);
  });

  it("refuses a second task of the same name, except one replacing the built-in aggregate_bet_results once", () => {
    engine.register(plainTask("noop", async () => null));
    expect(() => engine.register(plainTask("noop", async () => null))).toThrow(/already registered/);
    const mine = { ...plainTask("aggregate_bet_results", async () => "mine"), queue: "analytics" as const };
    engine.register(mine);
    expect(() => engine.register(mine)).toThrow(/already registered/);
  });

  it("rejects bad input with INVALID_INPUT and writes nothing", async () => {
    engine.register(plainTask("noop", async () => null));
    const attempts: Array<() => Promise<unknown>> = [
      () => engine.enqueue("no.such.task", {}),
      () => engine.enqueue("noop", { n: "three" }),
      () => engine.enqueue("noop", {}, { priority: 1.5 }),
      () => engine.enqueue("noop", {}, { maxAttempts: 0 }),
      () => engine.enqueue("noop", {}, { dueAt: Date.now() + 10_000, expiresAt: Date.now() + 5_000 }),
      () => engine.chain({ steps: [] }),
      () => engine.chord({ members: [{ task: "noop", args: {} }], callback: { task: "no.such.task" } }),
      () =>
        engine.group({
          members: [
            { task: "noop", args: {} },
            { task: "noop", args: { n: "x" } },
          ],
        }),
    ];
    for (const attempt of attempts) {
      await expect(attempt()).rejects.toThrow(FleetError);
      await expect(attempt()).rejects.toMatchObject({ code: "INVALID_INPUT" });
    }
    const rows = t.db
      .prepare("SELECT (SELECT COUNT(*) FROM jobs) AS jobs, (SELECT COUNT(*) FROM job_events) AS events")
      .get();
    expect(rows).toEqual({ jobs: 0, events: 0 });
  });

  it("names the unknown task and the registered ones", async () => {
    engine.register(plainTask("noop", async () => null));
    await expect(engine.enqueue("nope", {})).rejects.toThrow(/unknown task `nope`/);
    await expect(engine.enqueue("nope", {})).rejects.toMatchObject({ hint: expect.stringContaining("noop") });
  });

  it("refuses a second job with the same idempotency key (one key = one logical money request)", async () => {
    engine.register({
      ...plainTask<{ n: number }>("keyed", async () => null),
      idempotencyKey: (a) => `k${a.n}`,
    });
    const first = await engine.enqueue("keyed", { n: 1 });
    await expect(engine.enqueue("keyed", { n: 1 })).rejects.toThrow(new RegExp(`already belongs to job ${first.id}`));
    expect((await engine.list()).jobs).toHaveLength(1);
  });

  it("publishes progress updates to listeners and keeps the last one on the row", async () => {
    engine.register(
      plainTask("steps", async (ctx) => {
        ctx.progress({ done: 1, total: 2, message: "half way" });
        ctx.progress({ done: 2, total: 2 });
        return "ok";
      }),
    );
    const seen: JobEvent[] = [];
    engine.on((_job, event) => seen.push(event));
    await engine.start();
    const job = await engine.enqueue("steps", {});
    const done = await engine.wait(job.id, { timeoutMs: 10_000 });

    const progress = seen.filter((e) => e.jobId === job.id && e.progress).map((e) => e.progress);
    expect(progress).toEqual([
      { done: 1, total: 2, message: "half way" },
      { done: 2, total: 2 },
    ]);
    expect(done.progress).toEqual({ done: 2, total: 2 });
    // progress is not a transition: job_events holds only state changes
    expect((await engine.events(job.id)).every((e) => e.from !== e.to)).toBe(true);
  });

  it("wait() returns the current row at its timeout, rejects for an unknown id, and stops on its signal", async () => {
    engine.register(plainTask("later", async () => null));
    const job = await engine.enqueue("later", {}); // engine not started: it stays queued
    const row = await engine.wait(job.id, { timeoutMs: 30 });
    expect(row.state).toBe("queued");
    await expect(engine.wait("missing")).rejects.toMatchObject({ code: "NOT_FOUND" });
    const controller = new AbortController();
    const waiting = engine.wait(job.id, { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: "CANCELLED" });
  });

  it("claims higher priority first", async () => {
    await engine.stop();
    engine = testEngine(t.storage, { concurrency: { default: 1 } });
    const order: number[] = [];
    engine.register(plainTask<{ n: number }>("ordered", async ({ args }) => order.push(args.n)));
    const low = await engine.enqueue("ordered", { n: 1 }, { priority: 0 });
    await engine.enqueue("ordered", { n: 2 }, { priority: 5 });
    const high = await engine.enqueue("ordered", { n: 3 }, { priority: 10 });
    await engine.start();
    await engine.wait(low.id, { timeoutMs: 10_000 });
    await engine.wait(high.id, { timeoutMs: 10_000 });
    expect(order).toEqual([3, 2, 1]);
  });

  it("lists jobs newest first with filters and cursor pages", async () => {
    engine.register(plainTask("noop", async () => null));
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push((await engine.enqueue("noop", { n })).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 3; page++) {
      const { jobs, nextCursor } = await engine.list({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...jobs.map((j) => j.id));
      cursor = nextCursor ?? undefined;
    }
    expect(cursor).toBeUndefined();
    expect(new Set(seen)).toEqual(new Set(ids));
    expect((await engine.list({ state: "succeeded" })).jobs).toEqual([]);
    expect((await engine.list({ state: ["queued", "running"], task: "noop" })).jobs).toHaveLength(5);
    await expect(engine.list({ cursor: "garbage" })).rejects.toThrow(/cursor/);
  });

  it("reports per-queue counts, throughput and runtimes", async () => {
    engine.register(plainTask("ok", async () => null));
    engine.register(
      plainTask("refused", async () => {
        throw new FleetError("UPSTREAM_REJECTED", "no");
      }),
    );
    await engine.start();
    const jobs = [await engine.enqueue("ok", {}), await engine.enqueue("ok", {}), await engine.enqueue("refused", {})];
    for (const job of jobs) await engine.wait(job.id, { timeoutMs: 10_000 });

    const stats = (await engine.stats()).find((s) => s.queue === "default");
    expect(stats).toMatchObject({ succeeded: 2, failed: 1, queued: 0, running: 0, throughputPerMinute: 3 });
    expect(stats?.runtimeMs.p50).not.toBeNull();
    expect(stats?.runtimeMs.max).toBeGreaterThanOrEqual(stats?.runtimeMs.p50 ?? 0);
  });
});
