import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db.js";
import {
  casinoGameLimits,
  type JobEngine,
  ManualClock,
  migrateJobs,
  PURPLE_FLEA_LIMITS,
  RateLimiter,
  windowSafeBucket,
} from "../../src/jobs/index.js";
import { type TempDb, tempDb } from "./support/db.js";
import { inState, plainTask, testEngine, until } from "./support/engine.js";

const PER_SECOND = 1 / 1_000;

describe("token buckets in SQLite", () => {
  let t: TempDb;
  let clock: ManualClock;

  beforeEach(() => {
    t = tempDb();
    migrateJobs(t.db);
    clock = new ManualClock();
  });
  afterEach(() => t.cleanup());

  it("admits up to capacity, then says how long to wait for the refill", () => {
    const limiter = new RateLimiter(t.db, clock);
    const bucket = { capacity: 3, refillPerMs: PER_SECOND };
    expect([1, 2, 3].map(() => limiter.take("k", bucket).ok)).toEqual([true, true, true]);
    expect(limiter.take("k", bucket)).toEqual({ ok: false, waitMs: 1_000, key: "k" });
    clock.advance(999);
    expect(limiter.take("k", bucket).ok).toBe(false);
    clock.advance(1);
    expect(limiter.take("k", bucket).ok).toBe(true);
  });

  it("takes every bucket of a call or none of them", () => {
    const limiter = new RateLimiter(t.db, clock);
    const agent = { key: "agent", capacity: 5, refillPerMs: PER_SECOND };
    const ip = { key: "ip", capacity: 1, refillPerMs: PER_SECOND };
    expect(limiter.takeAll([agent, ip]).ok).toBe(true);
    expect(limiter.takeAll([agent, ip])).toMatchObject({ ok: false, key: "ip" });
    // the refused draw did not spend the agent's tokens: 4 are left
    expect([1, 2, 3, 4, 5].map(() => limiter.take("agent", agent).ok)).toEqual([true, true, true, true, false]);
  });

  it("is shared by every connection (every process) on one database file", () => {
    const second = openDatabase(t.path);
    try {
      const a = new RateLimiter(t.db, clock);
      const b = new RateLimiter(second, clock);
      const bucket = { capacity: 4, refillPerMs: PER_SECOND };
      const admitted = [a, b, a, b, a, b].filter((limiter) => limiter.take("casino:ip:/games/crash", bucket).ok);
      expect(admitted).toHaveLength(4);
    } finally {
      second.close();
    }
  });

  it("rejects a claim that could never be paid", () => {
    const limiter = new RateLimiter(t.db, clock);
    expect(() => limiter.take("k", { capacity: 2, refillPerMs: PER_SECOND }, 3)).toThrow(
      /cost must be > 0 and ≤ capacity 2/,
    );
    expect(() => limiter.take("k", { capacity: 0, refillPerMs: PER_SECOND })).toThrow(/capacity must be > 0/);
  });

  it("the Purple Flea default buckets never exceed the API's limit in any window, however greedily used", () => {
    for (const [name, limit] of Object.entries(PURPLE_FLEA_LIMITS)) {
      const limiter = new RateLimiter(t.db, clock);
      const bucket = windowSafeBucket(limit);
      const admittedAt: number[] = [];
      const start = clock.now();
      for (let now = start; now < start + 3 * limit.windowMs; now += 500) {
        clock.advance(now - clock.now());
        while (limiter.take(`greedy:${name}`, bucket).ok) admittedAt.push(now);
      }
      for (const from of admittedAt) {
        const inWindow = admittedAt.filter((at) => at >= from && at < from + limit.windowMs).length;
        expect(inWindow, `${name} from ${from - start} ms`).toBeLessThanOrEqual(limit.limit);
      }
      // and the bucket is not wastefully strict: over 3 windows it admits most of the allowance
      expect(admittedAt.length, name).toBeGreaterThanOrEqual(2 * limit.limit);
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
    t.cleanup();
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
        rateLimits: () => [{ key: "casino:agent:ag_1:games", capacity: 1, refillPerMs: 1 / 10_000 }],
        retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, jitter: 0 },
      },
    );

  it("defers a job that cannot get tokens until they refill, without spending an attempt", async () => {
    const ran: string[] = [];
    const engine = testEngine(t.db, { clock });
    engines.push(engine);
    engine.register(limitedTask(ran));
    await engine.start();
    const first = engine.enqueue("limited", { n: 1 });
    const second = engine.enqueue("limited", { n: 2 });
    await inState(engine, first.id, "succeeded");
    const deferred = await until(engine, second.id, (j) => j.dueAt > clock.now());
    expect(deferred).toMatchObject({ state: "queued", attempts: 0 });
    expect(deferred.dueAt - clock.now()).toBe(10_000);
    expect(engine.events(second.id).at(-1)?.reason).toMatch(
      /rate-limit tokens \(casino:agent:ag_1:games\); no attempt spent/,
    );

    clock.advance(10_000);
    // maxAttempts is 1: had the deferral spent an attempt, the job could not run now
    expect(await inState(engine, second.id, "succeeded")).toMatchObject({ attempts: 1 });
    expect(ran).toEqual(["1", "2"]);
  });

  it("two engines on one database draw from the same buckets", async () => {
    const ran: string[] = [];
    const other = openDatabase(t.path);
    try {
      for (const db of [t.db, other]) {
        const engine = testEngine(db, { clock });
        engines.push(engine);
        engine.register(limitedTask(ran));
      }
      const [a, b] = engines as [JobEngine, JobEngine];
      const jobs = [1, 2, 3, 4].map((n) => a.enqueue("limited", { n }));
      await a.start();
      await b.start();
      const settled = () => {
        const rows = jobs.map((j) => a.get(j.id));
        const deferred = rows.filter((r) => r?.state === "queued" && r.dueAt > clock.now());
        return rows.filter((r) => r?.state === "succeeded").length === 1 && deferred.length === 3;
      };
      await until(a, jobs[0]?.id ?? "", settled);
      // one token between two engines: one run, three jobs waiting for the refill
      expect(ran).toHaveLength(1);
    } finally {
      for (const engine of engines.splice(0)) await engine.stop({ graceMs: 100 });
      other.close();
    }
  });
});
