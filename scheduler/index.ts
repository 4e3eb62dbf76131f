import type { Db } from "../src/db.js";
import { FleetError } from "../src/errors.js";
import { systemClock } from "../src/jobs/clock.js";
import type { JobEngine } from "../src/jobs/types.js";
import { type Logger, silentLogger } from "../src/log.js";
import { DEFAULT_SCHEDULES } from "./defaults.js";
import { enqueueRun, fireDue } from "./fire.js";
import { applyPatch, scheduleFromSeed } from "./patch.js";
import { nextSlot, slotRule } from "./slots.js";
import { createScheduleStore } from "./store.js";
import type { Clock, Firing, Schedule, SchedulePatch, Scheduler, ScheduleView } from "./types.js";
import { startWaker } from "./waker.js";

export type * from "./types.js";

export interface SchedulerOptions {
  /** must be the connection the engine writes with: the slot claim and the enqueue share one transaction */
  db: Db;
  engine: JobEngine;
  logger?: Logger;
  /** injectable for tests; wall time by default */
  clock?: Clock;
  /** how late a slot may be seen and still count as on time, ms (default 60 s) */
  graceMs?: number;
  /** how long slot rows are kept, ms (default 30 days; each schedule's latest is always kept) */
  slotRetentionMs?: number;
}

const HOUR_MS = 3_600_000;

/**
 * Celery Beat with a PersistentScheduler, on SQLite: creates the tables, seeds the default schedule on first
 * start (operator edits persist), and fires each (schedule, slot) once across every process sharing `db`.
 */
export function createScheduler(opts: SchedulerOptions): Scheduler {
  const { db, engine } = opts;
  const logger = opts.logger ?? silentLogger;
  const clock = opts.clock ?? systemClock;
  const graceMs = opts.graceMs ?? 60_000;
  const slotRetentionMs = opts.slotRetentionMs ?? 30 * 24 * HOUR_MS;
  const store = createScheduleStore(db);
  const firingDeps = { db, store, engine, logger, graceMs };
  let waker: { stop(): Promise<void> } | undefined;
  let lastPrunedAt = Number.NEGATIVE_INFINITY;

  const seededAt = clock.now();
  db.transaction(() => {
    for (const seed of DEFAULT_SCHEDULES) {
      if (store.insertIfAbsent(scheduleFromSeed(seed, seededAt)))
        logger.info({ schedule: seed.name }, "schedule seeded");
    }
  }).immediate();

  function mustGet(name: string): Schedule {
    const s = store.get(name);
    if (s) return s;
    const known = store.all().map((x) => x.name);
    throw new FleetError("NOT_FOUND", `no schedule named \`${name}\``, {
      hint: `known schedules: ${known.join(", ")}`,
    });
  }

  function view(s: Schedule): ScheduleView {
    const lastFiring = store.lastFiring(s.name);
    const jobId = lastFiring?.jobId;
    return {
      ...s,
      nextRunAt: s.enabled ? nextSlot(slotRule(s), clock.now()) : null,
      lastFiring,
      lastJobState: jobId ? (engine.get(jobId)?.state ?? null) : null,
    };
  }

  function tick(now = clock.now()): Firing[] {
    const fired: Firing[] = [];
    for (const s of store.enabled()) {
      try {
        const firing = fireDue(firingDeps, s, now);
        if (firing) fired.push(firing);
      } catch (err) {
        // one schedule's trouble (a busy database, say) must not starve the others; it is retried next tick
        logger.error({ schedule: s.name, err }, "schedule tick failed; will retry");
      }
    }
    if (now - lastPrunedAt >= HOUR_MS) {
      lastPrunedAt = now;
      store.pruneSlots(now - slotRetentionMs);
    }
    return fired;
  }

  return {
    start() {
      if (waker) return;
      waker = startWaker(() => tick(), logger);
      logger.info({ schedules: store.enabled().map((s) => s.name) }, "scheduler started");
    },
    async stop() {
      const w = waker;
      waker = undefined;
      await w?.stop();
    },
    list: () => store.all().map(view),
    get(name) {
      const s = store.get(name);
      return s && view(s);
    },
    preview: (name, patch) => applyPatch(mustGet(name), patch, clock.now()),
    set(name: string, patch: SchedulePatch) {
      const updated = db
        .transaction(() => {
          const next = applyPatch(mustGet(name), patch, clock.now());
          store.update(next);
          return next;
        })
        .immediate();
      logger.info({ schedule: name, change: patch, enabled: updated.enabled }, "schedule changed");
      return view(updated);
    },
    runNow(name) {
      const now = clock.now();
      const firing = db
        .transaction((): Firing => {
          const s = mustGet(name);
          if (s.money && !s.enabled) {
            throw new FleetError("FORBIDDEN", `schedule \`${name}\` stakes money and is disabled, so it does not run`, {
              hint: "money schedules run only once the operator enables them (set_schedule enabled=true states the worst-case stake first)",
            });
          }
          const job = enqueueRun(engine, s, now);
          store.recordManual(name, job.id, now);
          return { name, slot: null, firedAt: now, jobId: job.id, outcome: "enqueued", manual: true, detail: null };
        })
        .immediate();
      logger.info({ schedule: name, jobId: firing.jobId }, "schedule run manually");
      return firing;
    },
    tick,
  };
}
