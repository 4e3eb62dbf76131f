import { FleetError } from "../src/errors.js";
import { systemClock } from "../src/jobs/clock.js";
import type { JobEngine } from "../src/jobs/types.js";
import { type Logger, silentLogger } from "../src/log.js";
import type { ScheduleRepo } from "../src/storage/schedules.js";
import type { Storage } from "../src/storage/types.js";
import { scheduleFromDraft } from "./create.js";
import { DEFAULT_SCHEDULES } from "./defaults.js";
import { enqueueRun, fireDue } from "./fire.js";
import { applyPatch, scheduleFromSeed, unknownSchedule } from "./patch.js";
import { nextSlot, slotRule } from "./slots.js";
import type { Clock, Firing, Schedule, SchedulePatch, Scheduler, ScheduleView, SetOptions } from "./types.js";
import { startWaker } from "./waker.js";

export type * from "./types.js";

export interface SchedulerOptions {
  /** the storage the engine writes to: a slot claim and the job it enqueues commit in one of its transactions */
  storage: Storage;
  engine: JobEngine;
  logger?: Logger;
  /** injectable for tests; wall time by default */
  clock?: Clock;
  /** how late a slot may be seen and still count as on time, ms (default 60 s) */
  graceMs?: number;
  /**
   * how long slot rows and manual runs are kept, ms (default 30 days; each schedule's latest slot and latest
   * manual run are always kept)
   */
  slotRetentionMs?: number;
}

const HOUR_MS = 3_600_000;

/**
 * Celery Beat with a PersistentScheduler, on the storage seam: seeds the default schedule on first start
 * (operator edits persist), and fires each (schedule, slot) once across every process sharing the storage.
 * Resolves once the seed is written.
 */
export async function createScheduler(opts: SchedulerOptions): Promise<Scheduler> {
  const { storage, engine } = opts;
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const graceMs = opts.graceMs ?? 60_000;
  const slotRetentionMs = opts.slotRetentionMs ?? 30 * 24 * HOUR_MS;
  const firingDeps = { storage, engine, logger, graceMs };
  let waker: { stop(): Promise<void> } | undefined;
  let waking: Promise<void> | undefined;
  let lastPrunedAt = Number.NEGATIVE_INFINITY;

  const seededAt = clock.now();
  const seeded = await storage.transaction(async (tx) => {
    const inserted: string[] = [];
    for (const seed of DEFAULT_SCHEDULES) {
      if (await tx.schedules.insertIfAbsent(scheduleFromSeed(seed, seededAt))) inserted.push(seed.name);
    }
    return inserted;
  });
  for (const name of seeded) logger.info({ schedule: name }, "schedule seeded");

  async function mustGet(schedules: ScheduleRepo, name: string): Promise<Schedule> {
    const s = await schedules.get(name);
    if (s) return s;
    const known = (await schedules.all()).map((x) => x.name);
    throw unknownSchedule(name, known);
  }

  async function view(s: Schedule): Promise<ScheduleView> {
    const lastFiring = await storage.schedules.lastFiring(s.name);
    const jobId = lastFiring?.jobId;
    return {
      ...s,
      nextRunAt: s.enabled ? nextSlot(slotRule(s), clock.now()) : null,
      lastFiring,
      lastJobState: jobId ? ((await engine.get(jobId))?.state ?? null) : null,
    };
  }

  async function tick(now = clock.now()): Promise<Firing[]> {
    const fired: Firing[] = [];
    for (const s of await storage.schedules.enabled()) {
      try {
        const firing = await fireDue(firingDeps, s, now);
        if (firing) fired.push(firing);
      } catch (err) {
        // one schedule's trouble (a busy database, say) must not starve the others; it is retried next tick
        logger.error({ schedule: s.name, err }, "schedule tick failed; will retry");
      }
    }
    if (now - lastPrunedAt >= HOUR_MS) {
      lastPrunedAt = now;
      try {
        const pruned = await storage.schedules.pruneSlots(now - slotRetentionMs);
        if (pruned.slots || pruned.manualRuns) logger.debug(pruned, "old schedule firings pruned");
      } catch (err) {
        logger.warn({ err }, "pruning old schedule firings failed; will retry in an hour");
      }
    }
    return fired;
  }

  /** one tick at a time from the waker: a wake-up while a tick runs is dropped (the next one sees the same slot) */
  function wake(): void {
    if (waking !== undefined) return;
    waking = tick()
      .then(
        () => undefined,
        (err: unknown) => logger.error({ err }, "schedule tick failed; will retry"),
      )
      .finally(() => {
        waking = undefined;
      });
  }

  return {
    start() {
      if (waker) return;
      waker = startWaker(wake, logger);
      void storage.schedules.enabled().then(
        (enabled) => logger.info({ schedules: enabled.map((s) => s.name) }, "scheduler started"),
        () => logger.info("scheduler started"),
      );
    },
    async stop() {
      const w = waker;
      waker = undefined;
      await w?.stop();
      await waking;
    },
    list: async () => Promise.all((await storage.schedules.all()).map(view)),
    async get(name) {
      const s = await storage.schedules.get(name);
      return s && view(s);
    },
    preview: async (name, patch) => view(applyPatch(await mustGet(storage.schedules, name), patch, clock.now())),
    async set(name: string, patch: SchedulePatch, setOpts: SetOptions = {}) {
      const updated = await storage.transaction(async (tx) => {
        const next = applyPatch(await mustGet(tx.schedules, name), patch, clock.now());
        setOpts.check?.(next);
        await tx.schedules.update(next);
        return next;
      });
      logger.info({ schedule: name, change: patch, enabled: updated.enabled }, "schedule changed");
      return view(updated);
    },
    async create(draft) {
      // validated in full before the transaction: bad input never opens a write
      const s = scheduleFromDraft(draft, clock.now());
      await storage.transaction(async (tx) => {
        if (!(await tx.schedules.insertIfAbsent(s))) {
          throw new FleetError("CONFLICT", `a schedule named \`${s.name}\` already exists`, {
            hint: "pick another name, or change that schedule with set_schedule (list_schedules shows it); nothing was written",
          });
        }
      });
      logger.info({ schedule: s.name, task: s.task, enabled: s.enabled }, "schedule created");
      return view(s);
    },
    async delete(name) {
      const deleted = await storage.transaction(async (tx) => {
        // on PostgreSQL this read locks the row, so a firing of it either commits first or finds it gone
        const s = await mustGet(tx.schedules, name);
        if (s.origin === "builtin") {
          throw new FleetError("FORBIDDEN", `schedule \`${name}\` is built in and cannot be deleted`, {
            hint: `built-in schedules come back at every start; stop it with set_schedule {"name": "${name}", "enabled": false}`,
          });
        }
        await tx.schedules.delete(name);
        return s;
      });
      logger.info({ schedule: name, task: deleted.task }, "schedule deleted");
      return deleted;
    },
    async runNow(name) {
      const now = clock.now();
      const firing = await storage.transaction(async (tx): Promise<Firing> => {
        const s = await mustGet(tx.schedules, name);
        if (s.money && !s.enabled) {
          throw new FleetError("FORBIDDEN", `schedule \`${name}\` stakes money and is disabled, so it does not run`, {
            hint: "money schedules run only once the operator enables them (set_schedule enabled=true states the worst-case stake first)",
          });
        }
        const job = await enqueueRun(engine, s, now, tx);
        await tx.schedules.recordManualRun(name, job.id, now);
        return { name, slot: null, firedAt: now, jobId: job.id, outcome: "enqueued", manual: true, detail: null };
      });
      logger.info({ schedule: name, jobId: firing.jobId }, "schedule run manually");
      return firing;
    },
    tick,
  };
}
