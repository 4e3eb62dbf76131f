/**
 * Prefetch (Celery's): a queue leases jobs beyond its concurrency so the next starts the moment a slot frees. A
 * leased job that never got its slot must behave as if it had never been claimed when it is cancelled or the
 * process stops: its task never runs, and a money job's intent is withdrawn (nothing was sent).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { JobEngine, JobRow } from "../../src/jobs/index.js";
import { type TempDb, tempDb } from "./support/db.js";
import { fastRetry, taskWithArgs, testEngine } from "./support/engine.js";

describe("prefetched jobs", () => {
  let t: TempDb;
  let engine: JobEngine;
  const runs: string[] = [];
  let release: () => void = () => {};

  beforeEach(() => {
    t = tempDb();
    runs.length = 0;
    engine = testEngine(t.storage, { concurrency: { escrow: 1 }, prefetch: { escrow: 1 } });
    const args = z.object({ ref: z.string() });
    engine.register(
      taskWithArgs(
        "pay",
        args,
        async ({ args, signal }) => {
          runs.push(args.ref);
          if (args.ref === "first") {
            // holds the queue's only slot until the test lets it go (or the engine aborts it)
            await new Promise<void>((resolve, reject) => {
              release = resolve;
              signal.addEventListener("abort", () => reject(signal.reason));
            });
          }
          return { paid: args.ref };
        },
        {
          queue: "escrow",
          moneyMoving: true,
          retry: fastRetry,
          idempotencyKey: (a) => a.ref,
          reconcile: async () => ({ outcome: "not_done", reason: "the test's server never saw it" }),
        },
      ),
    );
  });
  afterEach(async () => {
    release();
    await engine.stop({ graceMs: 100 });
    await t.cleanup();
  });

  const leasedWaiting = async (first: JobRow, second: JobRow) => {
    await engine.start();
    await expect.poll(async () => (await engine.get(first.id))?.state).toBe("running");
    // the second is leased too (prefetched), with its intent recorded, but its task has not run
    await expect.poll(async () => (await engine.get(second.id))?.state).toBe("running");
    expect((await engine.get(second.id))?.moneyState).toBe("intent");
    expect(runs).toEqual(["first"]);
  };

  it("a prefetched money job cancelled before its slot frees is cancelled without ever running", async () => {
    const first = await engine.enqueue("pay", { ref: "first" });
    const second = await engine.enqueue("pay", { ref: "second" });
    await leasedWaiting(first, second);
    await engine.cancel(second.id, "no longer wanted");
    release();
    expect(await engine.wait(second.id, { timeoutMs: 10_000 })).toMatchObject({
      state: "cancelled",
      moneyState: null,
      attempts: 0,
    });
    expect((await engine.wait(first.id, { timeoutMs: 10_000 })).state).toBe("succeeded");
    expect(runs).toEqual(["first"]);
  });

  it("stopping hands a prefetched job back unrun, with no attempt spent and no intent left behind", async () => {
    const first = await engine.enqueue("pay", { ref: "first" });
    const second = await engine.enqueue("pay", { ref: "second" });
    await leasedWaiting(first, second);
    await engine.stop({ graceMs: 50 });
    expect(runs).toEqual(["first"]);
    expect(await engine.get(second.id)).toMatchObject({
      state: "retrying",
      attempts: 0,
      moneyState: null,
      leaseOwner: null,
    });
  });
});
