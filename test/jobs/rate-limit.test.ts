import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  casinoGameLimits,
  type JobEngine,
  type JobRow,
  ManualClock,
  PURPLE_FLEA_LIMITS,
  RateLimiter,
  type TakeResult,
} from "../../src/jobs/index.js";
import { type TempDb, tempDb } from "./support/db.js";
import { inState, plainTask, testEngine, until } from "./support/engine.js";

/** `draws` made one after another, in order: whether each was admitted */
const admitted = async (draws: Array<() => Promise<TakeResult>>) => {
  const ok: boolean[] = [];
  for (const draw of draws) ok.push((await draw()).ok);
  return ok;
};

describe("sliding-window rate limits in SQLite", () => {
  let t: TempDb;
  let clock: ManualClock;

  beforeEach(() => {
    t = tempDb();
    clock = new ManualClock();
  });
  afterEach(() => t.cleanup());

  it("admits the full burst, then says how long until the oldest call leaves the window", async () => {
    const limiter = new RateLimiter(t.storage, clock);
    const limit = { limit: 3, windowMs: 1_000 };
    expect(await admitted([1, 2, 3].map(() => () => limiter.take("k", limit)))).toEqual([true, true, true]);
    expect(await limiter.take("k", limit)).toEqual({ ok: false, waitMs: 1_000, key: "k" });
    clock.advance(999);
    expect((await limiter.take("k", limit)).ok).toBe(false);
    clock.advance(1);
    // all three left the window together: a whole new burst fits
    expect(await admitted([1, 2, 3, 4].map(() => () => limiter.take("k", limit)))).toEqual([true, true, true, false]);
  });

  it("frees the window call by call as the oldest calls age out", async () => {
    const limiter = new RateLimiter(t.storage, clock);
    const limit = { limit: 2, windowMs: 1_000 };
    expect((await limiter.take("k", limit)).ok).toBe(true);
    clock.advance(400);
    expect((await limiter.take("k", limit)).ok).toBe(true);
    expect(await limiter.take("k", limit)).toMatchObject({ ok: false, waitMs: 600 });
    clock.advance(600);
    expect((await limiter.take("k", limit)).ok).toBe(true);
    expect(await limiter.take("k", limit)).toMatchObject({ ok: false, waitMs: 400 });
  });

  it("takes every limit of a call or none of them", async () => {
    const limiter = new RateLimiter(t.storage, clock);
    const agent = { key: "agent", limit: 5, windowMs: 1_000 };
    const ip = { key: "ip", limit: 1, windowMs: 1_000 };
    expect((await limiter.takeAll([agent, ip])).ok).toBe(true);
    expect(await limiter.takeAll([agent, ip])).toMatchObject({ ok: false, key: "ip" });
    // the refused draw did not count against the agent: 4 calls are left
    expect(await admitted([1, 2, 3, 4, 5].map(() => () => limiter.take("agent", agent)))).toEqual([
      true,
      true,
      true,
      true,
      false,
    ]);
  });

  it("counts a call's cost, and two claims on one key in one draw together", async () => {
    const limiter = new RateLimiter(t.storage, clock);
    expect((await limiter.take("k", { limit: 5, windowMs: 1_000 }, 3)).ok).toBe(true);
    expect((await limiter.take("k", { limit: 5, windowMs: 1_000 }, 3)).ok).toBe(false);
    const half = { key: "k2", limit: 3, windowMs: 1_000, cost: 2 };
    expect((await limiter.takeAll([half, half])).ok).toBe(false);
    expect((await limiter.takeAll([half])).ok).toBe(true);
  });

  it("is shared by every connection (every process) on one database file", async () => {
    const second = t.open();
    try {
      const a = new RateLimiter(t.storage, clock);
      const b = new RateLimiter(second, clock);
      const limit = { limit: 4, windowMs: 60_000 };
      const draws = await admitted(
        [a, b, a, b, a, b].map((limiter) => () => limiter.take("casino:ip:/games/crash", limit)),
      );
      expect(draws.filter((ok) => ok)).toHaveLength(4);
    } finally {
      await second.close();
    }
  });

  it("rejects a claim that could never be admitted", async () => {
    const limiter = new RateLimiter(t.storage, clock);
    await expect(limiter.take("k", { limit: 2, windowMs: 1_000 }, 3)).rejects.toThrow(
      /cost must be a whole number from 1 to the limit 2, got `3`/,
    );
    await expect(limiter.take("k", { limit: 0, windowMs: 1_000 })).rejects.toThrow(/limit must be a whole number ≥ 1/);
    await expect(limiter.take("k", { limit: 1, windowMs: 0 })).rejects.toThrow(/windowMs must be > 0/);
  });

  it("the Purple Flea defaults never exceed the API's limit in any window, and allow its whole burst", async () => {
    for (const [name, limit] of Object.entries(PURPLE_FLEA_LIMITS)) {
      const limiter = new RateLimiter(t.storage, clock);
      const admittedAt: number[] = [];
      const start = clock.now();
      for (let now = start; now < start + 3 * limit.windowMs; now += 500) {
        clock.advance(now - clock.now());
        while ((await limiter.take(`greedy:${name}`, limit)).ok) admittedAt.push(now);
      }
      // the server's windows are 60 s; ours add a second of margin for arrival jitter
      const serverWindowMs = 60_000;
      expect(limit.windowMs, name).toBeGreaterThan(serverWindowMs);
      for (const from of admittedAt) {
        const inWindow = admittedAt.filter((at) => at >= from && at < from + limit.windowMs).length;
        expect(inWindow, `${name} from ${from - start} ms`).toBeLessThanOrEqual(limit.limit);
      }
      // a greedy caller gets the API's whole burst at once, and its full allowance over three windows
      expect(admittedAt.filter((at) => at === start).length, name).toBe(limit.limit);
      expect(admittedAt.length, name).toBe(3 * limit.limit);
    }
  });

  it("names the per-agent and per-path buckets of a casino game call", () => {
    expect(casinoGameLimits("ag_1", "/games/crash").map((c) => c.key)).toEqual([
      "casino:agent:ag_1:games",
      "casino:ip:/games/crash",
    ]);
    expect(() => casinoGameLimits("ag_1", "/bets/batch")).toThrow(/must start with \/games\//);
  });
});

describe("the dispatcher and rate limits", () => {
  let t: TempDb;
  let clock: ManualClock;
  const engines: JobEngine[] = [];

  beforeEach(() => {
    t = tempDb();
    clock = new ManualClock();
  });
  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.stop({ graceMs: 100 });
    await t.cleanup();
  });

  const limitedTask = (ran: string[]) =>
    plainTask<{ n: number }>(
      "limited",
      async ({ args }) => {
        ran.push(String(args.n));
        return args.n;
      },
      {
        // one call per 10 s
        rateLimits: () => [{ key: "casino:agent:ag_1:games", limit: 1, windowMs: 10_000 }],
        retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, jitter: 0 },
      },
    );

  it("defers a job that cannot get tokens until they refill, without spending an attempt", async () => {
    const ran: string[] = [];
    const engine = testEngine(t.storage, { clock });
    engines.push(engine);
    engine.register(limitedTask(ran));
    await engine.start();
    const first = await engine.enqueue("limited", { n: 1 });
    const second = await engine.enqueue("limited", { n: 2 });
    await inState(engine, first.id, "succeeded");
    const deferred = await until(engine, second.id, (j) => j.dueAt > clock.now());
    expect(deferred).toMatchObject({ state: "queued", attempts: 0 });
    expect(deferred.dueAt - clock.now()).toBe(10_000);
    expect((await engine.events(second.id)).at(-1)?.reason).toMatch(
      /rate-limit tokens \(casino:agent:ag_1:games\); no attempt spent/,
    );

    clock.advance(10_000);
    // maxAttempts is 1: had the deferral spent an attempt, the job could not run now
    expect(await inState(engine, second.id, "succeeded")).toMatchObject({ attempts: 1 });
    expect(ran).toEqual(["1", "2"]);
  });

  it("two engines on one database draw from the same buckets", async () => {
    const ran: string[] = [];
    const other = t.open();
    try {
      for (const storage of [t.storage, other]) {
        const engine = testEngine(storage, { clock });
        engines.push(engine);
        engine.register(limitedTask(ran));
      }
      const [a, b] = engines as [JobEngine, JobEngine];
      const jobs: JobRow[] = [];
      for (const n of [1, 2, 3, 4]) jobs.push(await a.enqueue("limited", { n }));
      await a.start();
      await b.start();
      const settled = async () => {
        const rows = await Promise.all(jobs.map((j) => a.get(j.id)));
        const deferred = rows.filter((r) => r?.state === "queued" && r.dueAt > clock.now());
        return rows.filter((r) => r?.state === "succeeded").length === 1 && deferred.length === 3;
      };
      await expect.poll(settled, { timeout: 10_000, interval: 5 }).toBe(true);
      // one call per window between two engines: one run, three jobs waiting for the window
      expect(ran).toHaveLength(1);
    } finally {
      for (const engine of engines.splice(0)) await engine.stop({ graceMs: 100 });
      await other.close();
    }
  });
});
