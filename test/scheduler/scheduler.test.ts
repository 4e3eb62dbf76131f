import { afterEach, describe, expect, it } from "vitest";
import { createScheduler } from "../../scheduler/index.js";
import type { Scheduler } from "../../scheduler/types.js";
import { type Db, openDatabase } from "../../src/db.js";
import { FleetError } from "../../src/errors.js";
import { type JobEngine, systemClock } from "../../src/jobs/index.js";
import { TASK } from "../../src/jobs/tasks/args.js";
import { createTestEngine, enqueuedJobs } from "./support/engine.js";
import { fakeClock, isoOf, tempDbPath, utc } from "./support/fixtures.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function setup(startIso: string) {
  const tmp = tempDbPath();
  const clock = fakeClock(startIso);
  const opened: Array<{ db: Db; close(): Promise<void> }> = [];
  cleanups.push(async () => {
    for (const o of opened) {
      await o.close();
      if (o.db.open) o.db.close();
    }
    tmp.cleanup();
  });
  /** a scheduler as a separate pf-fleet process would have it: its own connection, engine and scheduler */
  const open = (opts: { tasks?: boolean } = {}): { db: Db; engine: JobEngine; scheduler: Scheduler } => {
    const db = openDatabase(tmp.path);
    const { engine, close } = createTestEngine(db, clock, opts);
    opened.push({ db, close });
    return { db, engine, scheduler: createScheduler({ db, engine, clock }) };
  };
  return { clock, open };
}

/** schedule_slots as "HH:MM outcome" per schedule, in slot order */
function slotsOf(db: Db, name: string): string[] {
  const rows = db.prepare("SELECT slot, outcome FROM schedule_slots WHERE name = ? ORDER BY slot").all(name) as Array<{
    slot: number;
    outcome: string;
  }>;
  return rows.map((r) => `${isoOf(r.slot)?.slice(11, 16)} ${r.outcome}`);
}

describe("the scheduler", () => {
  it("fires each slot exactly once when two processes share one database", () => {
    const { clock, open } = setup("2025-03-03T09:58:00Z");
    const a = open();
    const b = open();
    a.scheduler.set("hourly-crash-batch", { enabled: true });

    const firedBy = { a: 0, b: 0 };
    let step = 0;
    for (let t = clock.now(); t <= utc("2025-03-03T13:00:30Z"); t += 20_000, step++) {
      clock.at(t);
      // both processes tick every step, in alternating order, and tick twice: only one may win each slot
      const order = step % 2 === 0 ? (["a", "b"] as const) : (["b", "a"] as const);
      for (const who of [...order, ...order]) {
        firedBy[who] += (who === "a" ? a : b).scheduler.tick(t).length;
      }
    }

    const batches = enqueuedJobs(a.engine, TASK.placeBatch);
    expect(slotsOf(a.db, "hourly-crash-batch")).toEqual([
      "10:00 enqueued",
      "11:00 enqueued",
      "12:00 enqueued",
      "13:00 enqueued",
    ]);
    expect(batches).toHaveLength(4);
    expect(batches[0]?.args).toMatchObject({ count: 10, amount: 10_000, bet: { game: "crash", cash_out_at: 1.5 } });
    // every 5 min from 10:00 to 13:00 inclusive: 37 balance checks, none twice
    const checks = enqueuedJobs(a.engine, TASK.balanceCheck);
    expect(checks).toHaveLength(37);
    expect(new Set(slotsOf(a.db, "wallet-balance-check")).size).toBe(37);
    // both processes really took part
    expect(firedBy.a).toBeGreaterThan(0);
    expect(firedBy.b).toBeGreaterThan(0);
    expect(firedBy.a + firedBy.b).toBe(41);
  });

  it("after downtime, skips missed slots under `skip` and runs only the latest one under `latest`", () => {
    const { clock, open } = setup("2025-03-03T09:59:00Z");
    const first = open();
    first.scheduler.set("hourly-crash-batch", { enabled: true }); // catch-up: skip
    first.scheduler.set("daily-ledger-refresh", { cron: "0 * * * *" }); // catch-up: latest
    first.scheduler.tick(clock.set("2025-03-03T10:00:00Z"));
    first.db.close();

    // the process was down from 10:00 to 13:30; a new one starts on the same file
    const second = open();
    const firings = second.scheduler.tick(clock.set("2025-03-03T13:30:00Z"));
    expect(firings.map((f) => `${f.name} ${isoOf(f.slot)} ${f.outcome}`).sort()).toEqual([
      "daily-ledger-refresh 2025-03-03T13:00:00Z enqueued",
      "hourly-crash-batch 2025-03-03T13:00:00Z skipped",
      "wallet-balance-check 2025-03-03T13:30:00Z enqueued",
    ]);
    second.scheduler.tick(clock.set("2025-03-03T13:31:00Z"));
    second.scheduler.tick(clock.set("2025-03-03T14:00:00Z"));

    expect(slotsOf(second.db, "hourly-crash-batch")).toEqual(["10:00 enqueued", "13:00 skipped", "14:00 enqueued"]);
    expect(slotsOf(second.db, "daily-ledger-refresh")).toEqual(["10:00 enqueued", "13:00 enqueued", "14:00 enqueued"]);
    expect(enqueuedJobs(second.engine, TASK.placeBatch)).toHaveLength(2);
    expect(enqueuedJobs(second.engine, TASK.ledgerRefresh)).toHaveLength(3);
  });

  it("does not enqueue a caught-up slot whose expiry has already passed", () => {
    const { clock, open } = setup("2025-03-03T09:00:00Z");
    const { engine, scheduler } = open();
    scheduler.set("hourly-crash-batch", { enabled: true, catchUp: "latest" }); // expiry 3300 s
    // back at 13:58: the 13:00 slot expired at 13:55
    const [firing] = scheduler.tick(clock.set("2025-03-03T13:58:00Z")).filter((f) => f.name === "hourly-crash-batch");
    expect(firing).toMatchObject({ outcome: "expired", jobId: null });
    expect(enqueuedJobs(engine, TASK.placeBatch)).toHaveLength(0);
    // an on-time slot carries its expiry: slot + 3300 s
    scheduler.tick(clock.set("2025-03-03T14:00:00Z"));
    expect(enqueuedJobs(engine, TASK.placeBatch)[0]?.expiresAt).toBe(utc("2025-03-03T14:55:00Z"));
  });

  it("never enqueues a disabled money schedule, on any tick or on demand", () => {
    const { clock, open } = setup("2025-03-03T00:00:00Z");
    const { db, engine, scheduler } = open();
    for (let t = clock.now(); t <= utc("2025-03-05T00:00:00Z"); t += 60_000) scheduler.tick(t);

    expect(enqueuedJobs(engine, TASK.placeBatch)).toHaveLength(0);
    expect(slotsOf(db, "hourly-crash-batch")).toEqual([]);
    expect(slotsOf(db, "midday-coinflip-batch")).toEqual([]);
    // the enabled defaults did run meanwhile: every 5 min from Monday 00:00 to Wednesday 00:00 inclusive
    expect(enqueuedJobs(engine, TASK.balanceCheck)).toHaveLength(2 * 288 + 1);
    expect(enqueuedJobs(engine, TASK.ledgerRefresh)).toHaveLength(2);
    expect(() => scheduler.runNow("hourly-crash-batch")).toThrow(
      expect.objectContaining({ code: "FORBIDDEN", message: expect.stringContaining("stakes money and is disabled") }),
    );
    expect(enqueuedJobs(engine, TASK.placeBatch)).toHaveLength(0);
  });

  it("never catches up slots from before a schedule was enabled", () => {
    const { clock, open } = setup("2025-03-03T09:00:00Z");
    const { db, engine, scheduler } = open();
    clock.set("2025-03-03T10:30:00Z");
    scheduler.set("hourly-crash-batch", { enabled: true, catchUp: "latest" });
    scheduler.tick(clock.set("2025-03-03T10:31:00Z"));
    expect(enqueuedJobs(engine, TASK.placeBatch)).toHaveLength(0);
    scheduler.tick(clock.set("2025-03-03T11:00:00Z"));
    expect(slotsOf(db, "hourly-crash-batch")).toEqual(["11:00 enqueued"]);
  });

  it("rejects bad input to set with a precise error and changes nothing", () => {
    const { open } = setup("2025-03-03T09:00:00Z");
    const { db, scheduler } = open();
    const snapshot = () => db.prepare("SELECT * FROM schedules ORDER BY name").all();
    const before = snapshot();
    const attempts: Array<[string, Parameters<Scheduler["set"]>[1], string]> = [
      ["daily-pnl-summary", { cron: "61 * * * *" }, "minute value `61` is out of range 0–59"],
      ["daily-pnl-summary", { cron: "0 0 30 2 *" }, "never fires"],
      ["daily-pnl-summary", { cron: "0 * * * *", intervalSeconds: 60 }, "either cron or intervalSeconds"],
      ["daily-pnl-summary", { intervalSeconds: 0.5 }, "got `0.5`"],
      ["daily-pnl-summary", { timezone: "Mars/Olympus" }, "got `Mars/Olympus`"],
      ["daily-pnl-summary", { enabled: false, args: { date: "yesterday" } }, "args for pnl.daily_summary: date"],
      ["hourly-crash-batch", { enabled: true, args: { count: 0 } }, "count"],
      ["hourly-crash-batch", { expirySeconds: -5 }, "got `-5`"],
    ];
    for (const [name, patch, message] of attempts) {
      let caught: unknown;
      try {
        scheduler.set(name, patch);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(patch)).toBeInstanceOf(FleetError);
      expect((caught as FleetError).code).toBe("INVALID_INPUT");
      expect((caught as FleetError).message).toContain(message);
    }
    expect(() => scheduler.set("no-such-schedule", { enabled: true })).toThrow(
      expect.objectContaining({ code: "NOT_FOUND" }),
    );
    expect(snapshot()).toEqual(before);
  });

  it("keeps operator edits across a restart and shows next runs and the last firing", () => {
    const { clock, open } = setup("2025-03-03T09:58:00Z"); // a Monday
    const first = open();
    first.scheduler.set("daily-pnl-summary", { cron: "50 23 * * *" });
    first.db.close();

    const { scheduler } = open();
    const byName = new Map(scheduler.list().map((s) => [s.name, s]));
    expect(byName.size).toBe(7);
    expect(byName.get("daily-pnl-summary")?.cron).toBe("50 23 * * *");
    expect(isoOf(byName.get("daily-pnl-summary")?.nextRunAt ?? null)).toBe("2025-03-03T23:50:00Z");
    expect(isoOf(byName.get("weekly-pnl-report")?.nextRunAt ?? null)).toBe("2025-03-10T06:00:00Z");
    expect(isoOf(byName.get("weekly-escrow-settlement")?.nextRunAt ?? null)).toBe("2025-03-09T22:00:00Z");
    expect(isoOf(byName.get("wallet-balance-check")?.nextRunAt ?? null)).toBe("2025-03-03T10:00:00Z");
    expect(byName.get("hourly-crash-batch")).toMatchObject({ enabled: false, money: true, nextRunAt: null });

    scheduler.tick(clock.set("2025-03-03T10:00:00Z"));
    const check = scheduler.get("wallet-balance-check");
    expect(check?.lastFiring).toMatchObject({ slot: utc("2025-03-03T10:00:00Z"), outcome: "enqueued", manual: false });
    expect(check?.lastJobState).toBe("queued");
  });

  it("runs a schedule on demand outside the slot table, so the slot still fires", () => {
    const { clock, open } = setup("2025-03-03T10:30:00Z");
    const { db, engine, scheduler } = open();
    const manual = scheduler.runNow("daily-ledger-refresh");
    expect(manual).toMatchObject({ manual: true, slot: null, outcome: "enqueued" });
    expect(scheduler.get("daily-ledger-refresh")?.lastFiring).toMatchObject({ manual: true, jobId: manual.jobId });
    expect(slotsOf(db, "daily-ledger-refresh")).toEqual([]);

    scheduler.tick(clock.set("2025-03-04T01:00:00Z"));
    expect(slotsOf(db, "daily-ledger-refresh")).toEqual(["01:00 enqueued"]);
    expect(enqueuedJobs(engine, TASK.ledgerRefresh)).toHaveLength(2);
  });

  it("gives a summary caught up late the period of its slot, not of the catch-up time", () => {
    const { clock, open } = setup("2025-03-02T12:00:00Z"); // a Sunday
    const { engine, scheduler } = open();
    // down from Sunday noon until Monday 07:00 UTC
    scheduler.tick(clock.set("2025-03-03T07:00:00Z"));
    expect(enqueuedJobs(engine, TASK.dailyPnl)[0]?.args).toEqual({ date: "2025-03-02" });
    expect(enqueuedJobs(engine, TASK.weeklyPnl)[0]?.args).toEqual({ week: "2025-W09" });
    expect(enqueuedJobs(engine, TASK.escrowSettle)).toHaveLength(1);
  });

  it("lists each schedule on the queue its jobs really run on", () => {
    const { open } = setup("2025-03-03T10:00:00Z");
    const { engine, scheduler } = open();
    for (const s of scheduler.list()) {
      if (s.money) scheduler.set(s.name, { enabled: true });
      const { jobId } = scheduler.runNow(s.name);
      expect(engine.get(jobId as string)?.queue, s.name).toBe(s.queue);
    }
  });

  it("records a firing the job engine refuses, once, instead of retrying it every tick", () => {
    const { clock, open } = setup("2025-03-03T00:30:00Z");
    // an engine with no task registered refuses every job, as one from an older pf-fleet would refuse a new task
    const { db, scheduler } = open({ tasks: false });
    const [firing] = scheduler.tick(clock.set("2025-03-03T01:00:00Z")).filter((f) => f.name === "daily-ledger-refresh");
    expect(firing).toMatchObject({
      outcome: "failed",
      detail: expect.stringContaining("unknown task `ledger.refresh`"),
    });
    scheduler.tick(clock.set("2025-03-03T01:00:05Z"));
    expect(slotsOf(db, "daily-ledger-refresh")).toEqual(["01:00 failed"]);
    expect(scheduler.get("daily-ledger-refresh")?.lastFiring?.outcome).toBe("failed");
  });

  it("wakes itself up once started (node-cron), and stops", async () => {
    const tmp = tempDbPath();
    const db = openDatabase(tmp.path);
    const { engine, close } = createTestEngine(db, systemClock);
    cleanups.push(async () => {
      await close();
      db.close();
      tmp.cleanup();
    });
    const scheduler = createScheduler({ db, engine });
    scheduler.set("wallet-balance-check", { intervalSeconds: 1 });
    scheduler.start();
    try {
      for (let i = 0; i < 100 && !scheduler.get("wallet-balance-check")?.lastFiring; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await scheduler.stop();
    }
    expect(scheduler.get("wallet-balance-check")?.lastFiring).toMatchObject({ outcome: "enqueued", manual: false });
  });
});
