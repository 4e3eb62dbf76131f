import { afterEach, describe, expect, it } from "vitest";
import { enqueueRun } from "../../scheduler/fire.js";
import { createScheduler } from "../../scheduler/index.js";
import type { Scheduler } from "../../scheduler/types.js";
import { FleetError } from "../../src/errors.js";
import { type JobEngine, systemClock } from "../../src/jobs/index.js";
import { TASK } from "../../src/jobs/tasks/args.js";
import { openSqliteStorage } from "../../src/storage/index.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";
import type { Storage } from "../../src/storage/types.js";
import { createTestEngine, enqueuedJobs } from "./support/engine.js";
import { fakeClock, isoOf, tempDbPath, utc } from "./support/fixtures.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Process {
  storage: Storage;
  engine: JobEngine;
  scheduler: Scheduler;
}

function setup(startIso: string) {
  const tmp = tempDbPath();
  const clock = fakeClock(startIso);
  const opened: Array<{ storage: Storage; close(): Promise<void> }> = [];
  cleanups.push(async () => {
    for (const o of opened) {
      await o.close();
      await o.storage.close();
    }
    tmp.cleanup();
  });
  /** a scheduler as a separate pf-fleet process would have it: its own storage, engine and scheduler */
  const open = async (opts: { tasks?: boolean; slotRetentionMs?: number } = {}): Promise<Process> => {
    const storage = openSqliteStorage(tmp.path);
    const { engine, close } = createTestEngine(storage, clock, opts);
    opened.push({ storage, close });
    const retention = opts.slotRetentionMs === undefined ? {} : { slotRetentionMs: opts.slotRetentionMs };
    return { storage, engine, scheduler: await createScheduler({ storage, engine, clock, ...retention }) };
  };
  return { clock, open };
}

/** schedule_slots as "HH:MM outcome" per schedule, in slot order */
function slotsOf(storage: Storage, name: string): string[] {
  const rows = sqliteDbForTests(storage)
    .prepare("SELECT slot, outcome FROM schedule_slots WHERE name = ? ORDER BY slot")
    .all(name) as Array<{ slot: number; outcome: string }>;
  return rows.map((r) => `${isoOf(r.slot)?.slice(11, 16)} ${r.outcome}`);
}

/** schedule_manual_runs of a schedule, as the job ids they enqueued, oldest first */
function manualRunsOf(storage: Storage, name: string): string[] {
  return sqliteDbForTests(storage)
    .prepare("SELECT job_id FROM schedule_manual_runs WHERE name = ? ORDER BY fired_at, id")
    .pluck()
    .all(name) as string[];
}

describe("the scheduler", () => {
  it("fires each slot exactly once when two processes share one database", async () => {
    const { clock, open } = setup("2025-03-03T09:58:00Z");
    const a = await open();
    const b = await open();
    await a.scheduler.set("hourly-crash-batch", { enabled: true });

    const firedBy = { a: 0, b: 0 };
    let step = 0;
    for (let t = clock.now(); t <= utc("2025-03-03T13:00:30Z"); t += 20_000, step++) {
      clock.at(t);
      // both processes tick every step, in alternating order, and tick twice: only one may win each slot
      const order = step % 2 === 0 ? (["a", "b"] as const) : (["b", "a"] as const);
      for (const who of [...order, ...order]) {
        firedBy[who] += (await (who === "a" ? a : b).scheduler.tick(t)).length;
      }
    }

    const batches = await enqueuedJobs(a.engine, TASK.placeBatch);
    expect(slotsOf(a.storage, "hourly-crash-batch")).toEqual([
      "10:00 enqueued",
      "11:00 enqueued",
      "12:00 enqueued",
      "13:00 enqueued",
    ]);
    expect(batches).toHaveLength(4);
    expect(batches[0]?.args).toMatchObject({ count: 10, amount: 10_000, bet: { game: "crash", cash_out_at: 1.5 } });
    // every 5 min from 10:00 to 13:00 inclusive: 37 balance checks, none twice
    const checks = await enqueuedJobs(a.engine, TASK.balanceCheck);
    expect(checks).toHaveLength(37);
    expect(new Set(slotsOf(a.storage, "wallet-balance-check")).size).toBe(37);
    // both processes really took part
    expect(firedBy.a).toBeGreaterThan(0);
    expect(firedBy.b).toBeGreaterThan(0);
    expect(firedBy.a + firedBy.b).toBe(41);
  });

  it("after downtime, skips missed slots under `skip` and runs only the latest one under `latest`", async () => {
    const { clock, open } = setup("2025-03-03T09:59:00Z");
    const first = await open();
    await first.scheduler.set("hourly-crash-batch", { enabled: true }); // catch-up: skip
    await first.scheduler.set("daily-ledger-refresh", { cron: "0 * * * *" }); // catch-up: latest
    await first.scheduler.tick(clock.set("2025-03-03T10:00:00Z"));
    await first.storage.close();

    // the process was down from 10:00 to 13:30; a new one starts on the same file
    const second = await open();
    const firings = await second.scheduler.tick(clock.set("2025-03-03T13:30:00Z"));
    expect(firings.map((f) => `${f.name} ${isoOf(f.slot)} ${f.outcome}`).sort()).toEqual([
      "daily-ledger-refresh 2025-03-03T13:00:00Z enqueued",
      "hourly-crash-batch 2025-03-03T13:00:00Z skipped",
      "wallet-balance-check 2025-03-03T13:30:00Z enqueued",
    ]);
    await second.scheduler.tick(clock.set("2025-03-03T13:31:00Z"));
    await second.scheduler.tick(clock.set("2025-03-03T14:00:00Z"));

    expect(slotsOf(second.storage, "hourly-crash-batch")).toEqual([
      "10:00 enqueued",
      "13:00 skipped",
      "14:00 enqueued",
    ]);
    expect(slotsOf(second.storage, "daily-ledger-refresh")).toEqual([
      "10:00 enqueued",
      "13:00 enqueued",
      "14:00 enqueued",
    ]);
    expect(await enqueuedJobs(second.engine, TASK.placeBatch)).toHaveLength(2);
    expect(await enqueuedJobs(second.engine, TASK.ledgerRefresh)).toHaveLength(3);
  });

  it("does not enqueue a caught-up slot whose expiry has already passed", async () => {
    const { clock, open } = setup("2025-03-03T09:00:00Z");
    const { engine, scheduler } = await open();
    await scheduler.set("hourly-crash-batch", { enabled: true, catchUp: "latest" }); // expiry 3300 s
    // back at 13:58: the 13:00 slot expired at 13:55
    const fired = await scheduler.tick(clock.set("2025-03-03T13:58:00Z"));
    expect(fired.find((f) => f.name === "hourly-crash-batch")).toMatchObject({ outcome: "expired", jobId: null });
    expect(await enqueuedJobs(engine, TASK.placeBatch)).toHaveLength(0);
    // an on-time slot carries its expiry: slot + 3300 s
    await scheduler.tick(clock.set("2025-03-03T14:00:00Z"));
    expect((await enqueuedJobs(engine, TASK.placeBatch))[0]?.expiresAt).toBe(utc("2025-03-03T14:55:00Z"));
  });

  it("never enqueues a disabled money schedule, on any tick or on demand", async () => {
    const { clock, open } = setup("2025-03-03T00:00:00Z");
    const { storage, engine, scheduler } = await open();
    for (let t = clock.now(); t <= utc("2025-03-05T00:00:00Z"); t += 60_000) await scheduler.tick(t);

    expect(await enqueuedJobs(engine, TASK.placeBatch)).toHaveLength(0);
    expect(slotsOf(storage, "hourly-crash-batch")).toEqual([]);
    expect(slotsOf(storage, "midday-coinflip-batch")).toEqual([]);
    // the enabled defaults did run meanwhile: every 5 min from Monday 00:00 to Wednesday 00:00 inclusive
    expect(await enqueuedJobs(engine, TASK.balanceCheck)).toHaveLength(2 * 288 + 1);
    expect(await enqueuedJobs(engine, TASK.ledgerRefresh)).toHaveLength(2);
    await expect(scheduler.runNow("hourly-crash-batch")).rejects.toMatchObject({
      code: "FORBIDDEN",
      message: expect.stringContaining("stakes money and is disabled"),
    });
    expect(await enqueuedJobs(engine, TASK.placeBatch)).toHaveLength(0);
    expect(manualRunsOf(storage, "hourly-crash-batch")).toEqual([]);
  });

  it("never catches up slots from before a schedule was enabled", async () => {
    const { clock, open } = setup("2025-03-03T09:00:00Z");
    const { storage, engine, scheduler } = await open();
    clock.set("2025-03-03T10:30:00Z");
    await scheduler.set("hourly-crash-batch", { enabled: true, catchUp: "latest" });
    await scheduler.tick(clock.set("2025-03-03T10:31:00Z"));
    expect(await enqueuedJobs(engine, TASK.placeBatch)).toHaveLength(0);
    await scheduler.tick(clock.set("2025-03-03T11:00:00Z"));
    expect(slotsOf(storage, "hourly-crash-batch")).toEqual(["11:00 enqueued"]);
  });

  it("rejects bad input to set with a precise error and changes nothing", async () => {
    const { open } = setup("2025-03-03T09:00:00Z");
    const { storage, scheduler } = await open();
    const snapshot = () => sqliteDbForTests(storage).prepare("SELECT * FROM schedules ORDER BY name").all();
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
        await scheduler.set(name, patch);
      } catch (err) {
        caught = err;
      }
      expect(caught, JSON.stringify(patch)).toBeInstanceOf(FleetError);
      expect((caught as FleetError).code).toBe("INVALID_INPUT");
      expect((caught as FleetError).message).toContain(message);
    }
    await expect(scheduler.set("no-such-schedule", { enabled: true })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // a check that refuses the change as it would be written (set_schedule's stake check) writes nothing either
    const refusal = new FleetError("LIMIT_EXCEEDED", "refused by the check");
    let checked: unknown;
    const check = (next: unknown) => {
      checked = next;
      throw refusal;
    };
    await expect(scheduler.set("hourly-crash-batch", { enabled: true }, { check })).rejects.toBe(refusal);
    expect(checked).toMatchObject({ name: "hourly-crash-batch", enabled: true });
    expect(snapshot()).toEqual(before);
  });

  it("keeps operator edits across a restart and shows next runs and the last firing", async () => {
    const { clock, open } = setup("2025-03-03T09:58:00Z"); // a Monday
    const first = await open();
    await first.scheduler.set("daily-pnl-summary", { cron: "50 23 * * *" });
    await first.storage.close();

    const { scheduler } = await open();
    const byName = new Map((await scheduler.list()).map((s) => [s.name, s]));
    expect(byName.size).toBe(7);
    expect(byName.get("daily-pnl-summary")?.cron).toBe("50 23 * * *");
    expect(isoOf(byName.get("daily-pnl-summary")?.nextRunAt ?? null)).toBe("2025-03-03T23:50:00Z");
    expect(isoOf(byName.get("weekly-pnl-report")?.nextRunAt ?? null)).toBe("2025-03-10T06:00:00Z");
    expect(isoOf(byName.get("weekly-escrow-settlement")?.nextRunAt ?? null)).toBe("2025-03-09T22:00:00Z");
    expect(isoOf(byName.get("wallet-balance-check")?.nextRunAt ?? null)).toBe("2025-03-03T10:00:00Z");
    expect(byName.get("hourly-crash-batch")).toMatchObject({ enabled: false, money: true, nextRunAt: null });

    await scheduler.tick(clock.set("2025-03-03T10:00:00Z"));
    const check = await scheduler.get("wallet-balance-check");
    expect(check?.lastFiring).toMatchObject({ slot: utc("2025-03-03T10:00:00Z"), outcome: "enqueued", manual: false });
    expect(check?.lastJobState).toBe("queued");
  });

  it("runs a schedule on demand outside the slot table, so the slot still fires", async () => {
    const { clock, open } = setup("2025-03-03T10:30:00Z");
    const { storage, engine, scheduler } = await open();
    const manual = await scheduler.runNow("daily-ledger-refresh");
    expect(manual).toMatchObject({ manual: true, slot: null, outcome: "enqueued" });
    expect((await scheduler.get("daily-ledger-refresh"))?.lastFiring).toMatchObject({
      manual: true,
      jobId: manual.jobId,
    });
    expect(slotsOf(storage, "daily-ledger-refresh")).toEqual([]);
    expect(manualRunsOf(storage, "daily-ledger-refresh")).toEqual([manual.jobId]);

    await scheduler.tick(clock.set("2025-03-04T01:00:00Z"));
    expect(slotsOf(storage, "daily-ledger-refresh")).toEqual(["01:00 enqueued"]);
    expect(await enqueuedJobs(engine, TASK.ledgerRefresh)).toHaveLength(2);
  });

  it("prunes slots and manual runs past the retention, keeping each schedule's latest of both", async () => {
    const { clock, open } = setup("2025-03-03T00:30:00Z");
    const { storage, scheduler } = await open(); // keeps 30 days
    const runs: string[] = [];
    // a manual run at 00:30 every day for five days, and the 01:00 slot after it
    for (let day = 0; day < 5; day++) {
      clock.at(utc("2025-03-03T00:30:00Z") + day * DAY);
      runs.push((await scheduler.runNow("daily-ledger-refresh")).jobId as string);
      await scheduler.tick(clock.now() + HOUR / 2);
    }
    expect(manualRunsOf(storage, "daily-ledger-refresh")).toEqual(runs);
    expect(slotsOf(storage, "daily-ledger-refresh")).toHaveLength(5);

    // a process keeping two days prunes on its first tick: what fired before Wednesday 01:30 goes
    const now = clock.set("2025-03-07T01:30:00Z");
    await (await open({ slotRetentionMs: 2 * DAY })).scheduler.tick(now);
    expect(manualRunsOf(storage, "daily-ledger-refresh")).toEqual(runs.slice(3));
    const slotTimes = () =>
      sqliteDbForTests(storage)
        .prepare("SELECT slot FROM schedule_slots WHERE name = 'daily-ledger-refresh' ORDER BY slot")
        .pluck()
        .all() as number[];
    expect(slotTimes()).toEqual([utc("2025-03-06T01:00:00Z"), utc("2025-03-07T01:00:00Z")]);

    // long after, with nothing newer: only each schedule's latest slot and latest manual run are left
    await scheduler.set("daily-ledger-refresh", { enabled: false });
    await (await open({ slotRetentionMs: 2 * DAY })).scheduler.tick(clock.set("2025-04-01T00:00:30Z"));
    expect(manualRunsOf(storage, "daily-ledger-refresh")).toEqual(runs.slice(4));
    expect(slotTimes()).toEqual([utc("2025-03-07T01:00:00Z")]);
    // so the last firing is the one it was before pruning, and a pruned slot can never fire again
    expect((await scheduler.get("daily-ledger-refresh"))?.lastFiring).toMatchObject({
      manual: false,
      slot: utc("2025-03-07T01:00:00Z"),
      firedAt: utc("2025-03-07T01:00:00Z"),
    });
  });

  it("publishes nothing and keeps no job when the firing's transaction rolls back", async () => {
    const { clock, open } = setup("2025-03-03T10:30:00Z");
    const { storage, engine, scheduler } = await open();
    const seen: string[] = [];
    engine.on((job) => seen.push(job.id));
    const schedule = await storage.schedules.get("daily-ledger-refresh");
    if (!schedule) throw new Error("the default schedule is missing");
    let enqueued: string | undefined;
    const boom = new Error("rolled back after the enqueue");
    await expect(
      storage.transaction(async (tx) => {
        enqueued = (await enqueueRun(engine, schedule, clock.now(), tx)).id;
        await tx.schedules.recordManualRun(schedule.name, enqueued, clock.now());
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(enqueued).toBeDefined();
    expect(await engine.get(enqueued as string)).toBeUndefined();
    expect(await enqueuedJobs(engine, TASK.ledgerRefresh)).toEqual([]);
    expect(manualRunsOf(storage, "daily-ledger-refresh")).toEqual([]);
    expect(seen).toEqual([]);

    // the same firing committed is published once it is durable
    const firing = await scheduler.runNow("daily-ledger-refresh");
    expect(seen).toContain(firing.jobId);
  });

  it("gives a summary caught up late the period of its slot, not of the catch-up time", async () => {
    const { clock, open } = setup("2025-03-02T12:00:00Z"); // a Sunday
    const { engine, scheduler } = await open();
    // down from Sunday noon until Monday 07:00 UTC
    await scheduler.tick(clock.set("2025-03-03T07:00:00Z"));
    expect((await enqueuedJobs(engine, TASK.dailyPnl))[0]?.args).toEqual({ date: "2025-03-02" });
    expect((await enqueuedJobs(engine, TASK.weeklyPnl))[0]?.args).toEqual({ week: "2025-W09" });
    expect(await enqueuedJobs(engine, TASK.escrowSettle)).toHaveLength(1);
  });

  it("lists each schedule on the queue its jobs really run on", async () => {
    const { open } = setup("2025-03-03T10:00:00Z");
    const { engine, scheduler } = await open();
    for (const s of await scheduler.list()) {
      if (s.money) await scheduler.set(s.name, { enabled: true });
      const { jobId } = await scheduler.runNow(s.name);
      expect((await engine.get(jobId as string))?.queue, s.name).toBe(s.queue);
    }
  });

  it("records a firing the job engine refuses, once, instead of retrying it every tick", async () => {
    const { clock, open } = setup("2025-03-03T00:30:00Z");
    // an engine with no task registered refuses every job, as one from an older pf-fleet would refuse a new task
    const { storage, engine, scheduler } = await open({ tasks: false });
    const fired = await scheduler.tick(clock.set("2025-03-03T01:00:00Z"));
    expect(fired.find((f) => f.name === "daily-ledger-refresh")).toMatchObject({
      outcome: "failed",
      jobId: null,
      detail: expect.stringContaining("unknown task `ledger.refresh`"),
    });
    await scheduler.tick(clock.set("2025-03-03T01:00:05Z"));
    expect(slotsOf(storage, "daily-ledger-refresh")).toEqual(["01:00 failed"]);
    expect((await scheduler.get("daily-ledger-refresh"))?.lastFiring?.outcome).toBe("failed");
    expect((await engine.list()).jobs).toEqual([]);
  });

  it("wakes itself up once started (node-cron), and stops", async () => {
    const tmp = tempDbPath();
    const storage = openSqliteStorage(tmp.path);
    const { engine, close } = createTestEngine(storage, systemClock);
    cleanups.push(async () => {
      await close();
      await storage.close();
      tmp.cleanup();
    });
    const scheduler = await createScheduler({ storage, engine });
    await scheduler.set("wallet-balance-check", { intervalSeconds: 1 });
    scheduler.start();
    try {
      for (let i = 0; i < 100 && !(await scheduler.get("wallet-balance-check"))?.lastFiring; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      await scheduler.stop();
    }
    expect((await scheduler.get("wallet-balance-check"))?.lastFiring).toMatchObject({
      outcome: "enqueued",
      manual: false,
    });
  });
});
