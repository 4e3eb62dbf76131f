import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { FleetError } from "../../src/errors.js";
import { createFailureHook, type JobEngine, ManualClock } from "../../src/jobs/index.js";
import { type TempDb, tempDb } from "./support/db.js";
import { inState, plainTask, testEngine } from "./support/engine.js";

describe("expiry, cancel, TTL", () => {
  let t: TempDb;
  let clock: ManualClock;
  let engine: JobEngine;

  beforeEach(() => {
    t = tempDb();
    clock = new ManualClock();
  });
  afterEach(async () => {
    await engine.stop({ graceMs: 100 });
    await t.cleanup();
  });

  it("expires a job not started by its expiresAt, and never runs it late", async () => {
    engine = testEngine(t.storage, { clock });
    let calls = 0;
    engine.register(plainTask("late", async () => calls++));
    const job = await engine.enqueue("late", {}, { expiresAt: clock.now() + 1_000 });
    clock.advance(1_000);
    await engine.start();
    const expired = await inState(engine, job.id, "expired");
    expect(expired.finishedAt).toBe(clock.now());
    expect(calls).toBe(0);
  });

  it("applies a task's default expiry (Celery `expires`)", async () => {
    engine = testEngine(t.storage, { clock });
    engine.register(plainTask("fresh-only", async () => "ran", { expiresAfterMs: 500 }));
    const stale = await engine.enqueue("fresh-only", {});
    clock.advance(500);
    const fresh = await engine.enqueue("fresh-only", {});
    await engine.start();
    await inState(engine, stale.id, "expired");
    expect((await inState(engine, fresh.id, "succeeded")).result).toBe("ran");
  });

  it("cancels a queued job at once", async () => {
    engine = testEngine(t.storage, { clock });
    engine.register(plainTask("noop", async () => null));
    const job = await engine.enqueue("noop", {});
    const cancelled = await engine.cancel(job.id, "changed my mind");
    expect(cancelled.state).toBe("cancelled");
    expect((await engine.events(job.id)).at(-1)).toMatchObject({
      from: "queued",
      to: "cancelled",
      reason: "changed my mind",
    });
  });

  it("cancels a running job by aborting the signal its task holds", async () => {
    engine = testEngine(t.storage, { clock });
    let sawAbort = false;
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    engine.register(
      plainTask("long", (ctx) => {
        started();
        return new Promise((_resolve, reject) => {
          ctx.signal.addEventListener("abort", () => {
            sawAbort = true;
            reject(ctx.signal.reason);
          });
        });
      }),
    );
    await engine.start();
    const job = await engine.enqueue("long", {});
    await running;
    expect((await engine.cancel(job.id)).state).toBe("running");
    const cancelled = await inState(engine, job.id, "cancelled");
    expect(sawAbort).toBe(true);
    expect(cancelled.error).toMatchObject({ code: "CANCELLED" });
  });

  it("never runs again a job whose cancel reached the row while its last attempt was failing", async () => {
    engine = testEngine(t.storage, { clock });
    let calls = 0;
    engine.register(
      plainTask("flaky", async () => {
        calls++;
        throw new FleetError("UPSTREAM_UNAVAILABLE", "down");
      }),
    );
    await engine.start();
    const job = await engine.enqueue("flaky", {});
    const retrying = await inState(engine, job.id, "retrying");
    // what another process's cancel leaves behind when it lands between the failure and its heartbeat
    t.db.prepare("UPDATE jobs SET cancel_requested = 1 WHERE id = ?").run(job.id);
    clock.advance(retrying.dueAt - clock.now());
    const cancelled = await inState(engine, job.id, "cancelled");
    expect(cancelled.attempts).toBe(1);
    expect(calls).toBe(1);
  });

  it("a restarted process recovers the plain jobs its previous life held: re-queued, the attempt counted", async () => {
    let lives = 0;
    const task = plainTask("once-stuck", async () => {
      lives++;
      if (lives === 1) return new Promise(() => {}); // the first life hangs and never reports back
      return "second life";
    });
    // the "old process": its single slot stays busy with the stuck attempt, and it claims nothing ahead of it
    engine = testEngine(t.storage, { ownerId: "node-1", concurrency: { default: 1 }, prefetch: { default: 0 } });
    engine.register(task);
    await engine.start();
    const job = await engine.enqueue("once-stuck", {});
    await inState(engine, job.id, "running");

    const second = t.open();
    const restarted = testEngine(second, { ownerId: "node-1" });
    restarted.register(task);
    try {
      await restarted.start();
      const done = await inState(restarted, job.id, "succeeded");
      expect(done).toMatchObject({ result: "second life", attempts: 2 });
      const recovery = (await restarted.events(job.id)).find((e) => e.from === "running" && e.to === "retrying");
      expect(recovery?.reason).toMatch(/lease of node-1 expired/);
    } finally {
      await restarted.stop({ graceMs: 100 });
      await second.close();
    }
  });

  it("prunes finished jobs older than the TTL, but keeps recent ones and unknown money jobs", async () => {
    engine = testEngine(t.storage, { clock, resultTtlMs: 3_600_000, maxReconciles: 1 });
    engine.register(plainTask("noop", async () => "ok"));
    engine.register({
      name: "pay",
      queue: "escrow",
      moneyMoving: true,
      timeLimitMs: 60_000,
      retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, jitter: 0 },
      args: z.object({}),
      run: async () => {
        throw new FleetError("OUTCOME_UNKNOWN", "connection reset after send");
      },
      reconcile: async () => ({ outcome: "unknown", reason: "the export is unavailable" }),
    });
    await engine.start();
    const old = await engine.enqueue("noop", {});
    const unknown = await engine.enqueue("pay", {});
    await inState(engine, old.id, "succeeded");
    await inState(engine, unknown.id, "retrying");
    clock.advance(100); // the settle delay
    await inState(engine, unknown.id, "unknown");

    clock.advance(2 * 3_600_000);
    const recent = await engine.enqueue("noop", {});
    await inState(engine, recent.id, "succeeded");
    await expect.poll(() => engine.get(old.id), { timeout: 5_000 }).toBeUndefined();
    expect(await engine.events(old.id)).toEqual([]);
    expect((await engine.get(recent.id))?.state).toBe("succeeded");
    expect((await engine.get(unknown.id))?.state).toBe("unknown");
  });
});

describe("failure hook", () => {
  let t: TempDb;
  let engine: JobEngine;
  let server: Server;
  let received: unknown[];
  let logLines: string[];

  const logger = () =>
    pino(
      { level: "info" },
      new Writable({
        write(chunk, _enc, done) {
          logLines.push(String(chunk));
          done();
        },
      }),
    );

  beforeEach(async () => {
    t = tempDb();
    received = [];
    logLines = [];
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        received.push(JSON.parse(body));
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  afterEach(async () => {
    await engine.stop({ graceMs: 100 });
    await new Promise((resolve) => server.close(resolve));
    await t.cleanup();
  });

  it("logs every failure and POSTs it to the webhook, flagging critical tasks", async () => {
    const { port } = server.address() as AddressInfo;
    engine = testEngine(t.storage, { logger: logger(), alertWebhookUrl: `http://127.0.0.1:${port}/alerts` });
    engine.register(
      plainTask(
        "release",
        async () => {
          throw new FleetError("FORBIDDEN", "only the creator can release sk_live_0123456789abcdef0123");
        },
        { critical: true },
      ),
    );
    await engine.start();
    const job = await engine.enqueue("release", {});
    await inState(engine, job.id, "failed");
    await expect.poll(() => received.length, { timeout: 5_000 }).toBe(1);

    expect(received[0]).toMatchObject({
      event: "task_failure",
      jobId: job.id,
      task: "release",
      queue: "default",
      state: "failed",
      critical: true,
      attempts: 1,
      error: { code: "FORBIDDEN" },
    });
    // anything shaped like a key is gone from alerts
    expect(JSON.stringify(received[0])).not.toContain("sk_live_0123");
    expect(logLines.some((l) => l.includes("critical task release ended failed"))).toBe(true);
  });

  it("a webhook that cannot be reached is logged and the engine carries on", async () => {
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    engine = testEngine(t.storage, { logger: logger(), alertWebhookUrl: `http://127.0.0.1:${port}/gone` });
    engine.register(
      plainTask("boom", async () => {
        throw new FleetError("UPSTREAM_REJECTED", "no");
      }),
    );
    engine.register(plainTask("fine", async () => "still working"));
    await engine.start();
    const failing = await engine.enqueue("boom", {});
    await inState(engine, failing.id, "failed");
    await expect.poll(() => logLines.some((l) => l.includes("failure webhook could not be delivered"))).toBe(true);
    const next = await engine.enqueue("fine", {});
    expect((await inState(engine, next.id, "succeeded")).result).toBe("still working");
  });

  it("createFailureHook never throws, whatever the sink does", async () => {
    logLines = [];
    const hook = createFailureHook({
      logger: logger(),
      webhookUrl: "http://127.0.0.1:9/x",
      fetch: async () => {
        throw new Error("network down");
      },
    });
    engine = testEngine(t.storage);
    await expect(
      hook({
        jobId: "j",
        task: "t",
        queue: "default",
        state: "dead",
        error: null,
        critical: false,
        attempts: 3,
        at: 0,
      }),
    ).resolves.toBeUndefined();
    expect(logLines.some((l) => l.includes("network down"))).toBe(true);
  });
});
