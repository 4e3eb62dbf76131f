import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import { backoffDelay, type JobEngine, ManualClock } from "../../src/jobs/index.js";
import { type TempDb, tempDb } from "./support/db.js";
import { inState, plainTask, testEngine, unavailable, until } from "./support/engine.js";

/** lets the engine's real-time poll run a few times, to show that nothing happens when nothing is due */
const idle = () => new Promise((resolve) => setTimeout(resolve, 60));

describe("retries, limits and the dead-letter queue", () => {
  let t: TempDb;
  let clock: ManualClock;
  let engine: JobEngine;

  beforeEach(() => {
    t = tempDb();
    clock = new ManualClock();
    engine = testEngine(t.storage, { clock, random: () => 0.5 });
  });
  afterEach(async () => {
    await engine.stop({ graceMs: 100 });
    await t.cleanup();
  });

  it("retries with exponential backoff and jitter on the engine clock, never before the job is due", async () => {
    let calls = 0;
    const retry = { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0.5 };
    engine.register(
      plainTask(
        "flaky",
        async () => {
          calls++;
          if (calls < 3) throw unavailable();
          return "ok";
        },
        { retry },
      ),
    );
    await engine.start();
    const job = await engine.enqueue("flaky", {});

    // random() = 0.5 with jitter 0.5: each delay is 75% of base × 2^(n−1)
    for (const [attempt, delay] of [
      [1, 750],
      [2, 1_500],
    ] as const) {
      const waiting = await until(engine, job.id, (j) => j.state === "retrying" && j.attempts === attempt);
      expect(waiting.dueAt - clock.now()).toBe(delay);
      clock.advance(delay - 1);
      await idle();
      expect(calls).toBe(attempt);
      clock.advance(1);
    }
    const done = await inState(engine, job.id, "succeeded");
    expect(done.attempts).toBe(3);
    expect(calls).toBe(3);
  });

  it("keeps every backoff delay within [delay × (1 − jitter), delay] and under the cap", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, base, extra, jitter, r) => {
          const policy = { maxAttempts: 99, baseDelayMs: base, maxDelayMs: base + extra, jitter };
          const full = Math.min(policy.maxDelayMs, base * 2 ** (attempt - 1));
          const delay = backoffDelay(policy, attempt, () => r);
          return delay <= Math.round(full) && delay >= Math.floor(full * (1 - jitter)) && delay <= policy.maxDelayMs;
        },
      ),
    );
  });

  it("fails a permanent error at once, without retrying", async () => {
    let calls = 0;
    engine.register(
      plainTask("refused", async () => {
        calls++;
        throw new FleetError("INSUFFICIENT_BALANCE", "balance too low");
      }),
    );
    await engine.start();
    const job = await engine.enqueue("refused", {});
    const failed = await inState(engine, job.id, "failed");
    expect(failed.attempts).toBe(1);
    expect(failed.error).toMatchObject({ code: "INSUFFICIENT_BALANCE", message: "balance too low" });
    await idle();
    expect(calls).toBe(1);
  });

  it("waits out a 429 for retryAfterMs without spending an attempt", async () => {
    let calls = 0;
    engine.register(
      plainTask(
        "limited",
        async () => {
          calls++;
          if (calls === 1) throw new FleetError("RATE_LIMITED", "slow down", { retryAfterMs: 5_000 });
          return "ok";
        },
        { retry: { maxAttempts: 1, baseDelayMs: 1_000, maxDelayMs: 1_000, jitter: 0 } },
      ),
    );
    await engine.start();
    const job = await engine.enqueue("limited", {});

    const deferred = await inState(engine, job.id, "retrying");
    expect(deferred.attempts).toBe(0);
    expect(deferred.dueAt - clock.now()).toBe(5_000);
    clock.advance(5_000);
    // with maxAttempts 1, a spent attempt would have made the job dead instead
    const done = await inState(engine, job.id, "succeeded");
    expect(done.attempts).toBe(1);
  });

  it("dead-letters a job out of attempts; retry() gives it fresh attempts and discard() removes it", async () => {
    let healthy = false;
    engine.register(
      plainTask(
        "fragile",
        async () => {
          if (!healthy) throw unavailable();
          return "recovered";
        },
        { retry: { maxAttempts: 2, baseDelayMs: 1_000, maxDelayMs: 1_000, jitter: 0 } },
      ),
    );
    await engine.start();
    const job = await engine.enqueue("fragile", {});
    const other = await engine.enqueue("fragile", {});
    await until(engine, other.id, (j) => j.state === "retrying");
    await until(engine, job.id, (j) => j.state === "retrying");
    clock.advance(1_000);
    const dead = await inState(engine, job.id, "dead");
    await inState(engine, other.id, "dead");
    expect(dead.attempts).toBe(2);
    expect((await engine.list({ state: "dead" })).jobs.map((j) => j.id).sort()).toEqual([job.id, other.id].sort());

    healthy = true;
    const requeued = await engine.retry(job.id);
    expect(requeued).toMatchObject({ state: "queued", attempts: 0, error: null });
    const done = await inState(engine, job.id, "succeeded");
    expect(done).toMatchObject({ result: "recovered", attempts: 1 });

    await engine.discard(other.id);
    expect(await engine.get(other.id)).toBeUndefined();
    expect(await engine.events(other.id)).toEqual([]);
    await expect(engine.retry(job.id)).rejects.toThrow(/only dead, failed or unknown jobs can be retried/);
  });

  it("ends an attempt at its hard time limit, even when the task ignores its signal", async () => {
    let signal: AbortSignal | undefined;
    engine.register(
      plainTask(
        "stuck",
        (ctx) => {
          signal = ctx.signal;
          return new Promise(() => {});
        },
        { timeLimitMs: 5_000, retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, jitter: 0 } },
      ),
    );
    await engine.start();
    const job = await engine.enqueue("stuck", {});
    await inState(engine, job.id, "running");
    // a row is `running` from its claim's commit; the attempt (and its time limit) starts once the claim is durable
    await expect.poll(() => signal).toBeDefined();
    clock.advance(5_000);
    const dead = await inState(engine, job.id, "dead");
    expect(dead.error).toMatchObject({ code: "TIMEOUT" });
    expect(signal?.aborted).toBe(true);
  });

  it("rejects illegal transitions: a finished job cannot be cancelled, a queued one cannot be retried", async () => {
    engine.register(plainTask("noop", async () => "ok"));
    const queued = await engine.enqueue("noop", {});
    await expect(engine.retry(queued.id)).rejects.toThrow(FleetError);
    await engine.start();
    await inState(engine, queued.id, "succeeded");
    await expect(engine.cancel(queued.id)).rejects.toThrow(/already succeeded/);
    await expect(engine.discard("missing")).rejects.toThrow(/no job with id/);
  });
});
