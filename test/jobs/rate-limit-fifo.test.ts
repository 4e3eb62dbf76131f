/**
 * D1: jobs that wait for rate-limit tokens keep their order per limiter key. A job put off until its window
 * reopens must not be overtaken by a younger job of the same agent that happens to be due a little earlier
 * (one enqueued, retried or scheduled while the old one waited), nor by a younger one that asks for less.
 */

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { type JobEngine, type JobRow, ManualClock } from "../../src/jobs/index.js";
import { type TempDb, tempDb } from "./support/db.js";
import { inState, taskWithArgs, testEngine, until } from "./support/engine.js";

const WINDOW_MS = 10_000;

describe("rate-limit waits keep their order per limiter key", () => {
  let t: TempDb;
  let clock: ManualClock;
  let engine: JobEngine;
  let ran: number[];
  /** the clock's reading when the test began */
  let t0: number;

  beforeEach(async () => {
    t = tempDb();
    clock = new ManualClock();
    t0 = clock.now();
    ran = [];
    engine = testEngine(t.storage, { clock });
    engine.register(
      taskWithArgs(
        "limited",
        z.object({ n: z.number(), agent: z.string(), cost: z.number().default(1) }),
        async ({ args }) => {
          ran.push(args.n);
          return args.n;
        },
        {
          // two calls per 10 s for each agent
          rateLimits: (args) => [{ key: `agent:${args.agent}`, limit: 2, windowMs: WINDOW_MS, cost: args.cost }],
        },
      ),
    );
    await engine.start();
  });
  afterEach(async () => {
    await engine.stop({ graceMs: 100 });
    await t.cleanup();
  });

  const putOff = (job: JobRow) => until(engine, job.id, (j) => j.state === "queued" && j.dueAt > clock.now());

  it("a younger job due just before the window reopens does not run ahead of the jobs waiting for it", async () => {
    const jobs: JobRow[] = [];
    for (const n of [1, 2, 3, 4, 5]) jobs.push(await engine.enqueue("limited", { n, agent: "a" }));
    await inState(engine, (jobs[1] as JobRow).id, "succeeded");
    for (const job of jobs.slice(2)) expect((await putOff(job)).dueAt).toBe(t0 + WINDOW_MS);
    // Job 6 is younger than 3–5 and due 100 ms before the window reopens. Jumping the clock past both stands
    // for a dispatcher that had no free slot (or no poll) in those 100 ms, as under load.
    const sixth = await engine.enqueue("limited", { n: 6, agent: "a" }, { dueAt: t0 + WINDOW_MS - 100 });
    clock.advance(WINDOW_MS);
    await expect.poll(() => ran.length, { timeout: 5_000 }).toBe(4);
    clock.advance(WINDOW_MS);
    await inState(engine, sixth.id, "succeeded");
    await inState(engine, (jobs[4] as JobRow).id, "succeeded");
    expect(ran).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("a younger, cheaper job does not slip into the room an older, dearer one is waiting for", async () => {
    const first = await engine.enqueue("limited", { n: 1, agent: "a" });
    await inState(engine, first.id, "succeeded");
    // one call of two is left: the dearer job (cost 2) must wait for the window, and the cheap one behind it
    clock.advance(1_000);
    const dear = await engine.enqueue("limited", { n: 2, agent: "a", cost: 2 });
    expect((await putOff(dear)).dueAt).toBe(t0 + WINDOW_MS);
    const cheap = await engine.enqueue("limited", { n: 3, agent: "a" });
    const waiting = await putOff(cheap);
    expect(waiting.dueAt).toBeGreaterThanOrEqual(t0 + WINDOW_MS);
    expect((await engine.events(cheap.id)).at(-1)?.reason).toMatch(/behind an older job/);
    // another agent's key is not held up
    const other = await engine.enqueue("limited", { n: 10, agent: "b" });
    await inState(engine, other.id, "succeeded");

    clock.advance(WINDOW_MS);
    await inState(engine, dear.id, "succeeded");
    clock.advance(WINDOW_MS);
    await inState(engine, cheap.id, "succeeded");
    expect(ran).toEqual([1, 10, 2, 3]);
  });
});
