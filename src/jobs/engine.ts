/** `createJobEngine`: wires the store, dispatcher, canvas, maintenance and events into the JobEngine contract. */

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { FleetConfig } from "../config.js";
import type { Db } from "../db.js";
import { FleetError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import { aggregateBetResultsTask } from "./aggregate-bet-results.js";
import { Canvas } from "./canvas.js";
import { type Clock, systemClock } from "./clock.js";
import { CommitBatcher } from "./commit-batcher.js";
import { type EngineCore, toJobRow } from "./core.js";
import { discard, requeue } from "./dead-letter.js";
import { Dispatcher } from "./dispatcher.js";
import { JobEvents, notFound, waitForJob } from "./events.js";
import { createFailureHook, type JobFailure } from "./failure-hook.js";
import { buildTaskJob } from "./job-factory.js";
import { Maintenance } from "./maintenance.js";
import { RateLimiter } from "./rate-limit.js";
import { TaskRegistry } from "./registry.js";
import { revoke } from "./revoke.js";
import { migrateJobs } from "./schema.js";
import { SqliteJobStore } from "./sqlite-store.js";
import { queueStats } from "./stats.js";
import type { StoredJob } from "./store.js";
import { newScope, Transitions, type WriteScope } from "./transitions.js";
import type { JobEngine, JobState, QueueName } from "./types.js";

export interface JobEngineOptions {
  db: Db;
  config: Pick<FleetConfig, "concurrency" | "resultTtlMs" | "alertWebhookUrl">;
  logger?: Logger;
  clock?: Clock;
  /** name on this process's leases; default host:pid:random */
  ownerId?: string;
  /** lease length; a process that stops renewing for this long is presumed dead. Default 30 s */
  leaseMs?: number;
  /** how often to look for work that other processes enqueued or that came due. Default 250 ms */
  pollMs?: number;
  /** wait before reconciling an ambiguous money request, so one still in flight is not declared absent. 2 s */
  settleMs?: number;
  /** reconciliations that may stay unprovable before a money job is left `unknown`. Default 5 */
  maxReconciles?: number;
  /** real-time period of recovery, expiry, chord-deadline and TTL sweeps. Default 1 s */
  sweepMs?: number;
  /** group-commit window for completions; 0 (the default) commits what finished in one turn of the event loop */
  commitWindowMs?: number;
  /** jitter source; default Math.random */
  random?: () => number;
}

const FAILURE_STATES: ReadonlySet<JobState> = new Set(["failed", "dead", "unknown"]);

export function createJobEngine(opts: JobEngineOptions): JobEngine {
  const { db, config } = opts;
  migrateJobs(db);
  const clock = opts.clock ?? systemClock;
  const logger = (opts.logger ?? silentLogger).child({ module: "jobs" });
  const leaseMs = opts.leaseMs ?? 30_000;
  const pollMs = opts.pollMs ?? 250;
  const store = new SqliteJobStore(db);
  const registry = new TaskRegistry();
  const transitions = new Transitions(store);
  const events = new JobEvents(logger);
  const failureHook = createFailureHook({ logger, webhookUrl: config.alertWebhookUrl });
  const alerts = new Set<Promise<void>>();
  // the dispatcher needs the batcher, which needs publish, which wakes the dispatcher: tied up once built
  let wakeDispatcher = (_queue: QueueName) => {};

  const alert = (job: StoredJob, state: JobFailure["state"], at: number) => {
    const failure: JobFailure = {
      jobId: job.id,
      task: job.task,
      queue: job.queue,
      state,
      error: job.error,
      critical: registry.get(job.task)?.critical ?? false,
      attempts: job.attempts,
      at,
    };
    const sent = failureHook(failure).finally(() => alerts.delete(sent));
    alerts.add(sent);
  };

  /** after a commit: tell listeners, raise alerts, and wake the dispatcher for newly due work */
  const publish = ({ changes, progressed, now }: WriteScope) => {
    for (const { job, event } of changes) {
      events.emit(toJobRow(job), event);
      if (event.progress) continue;
      logger.debug(
        { jobId: job.id, task: job.task, from: event.from, to: event.to, reason: event.reason },
        "job transition",
      );
      // a canvas parent fails because a member did; the member's own alert already said so
      if (FAILURE_STATES.has(event.to) && event.from !== event.to && job.kind === "task") {
        alert(job, event.to as JobFailure["state"], event.at);
      }
      if (event.to === "queued" || event.to === "retrying") wakeDispatcher(job.queue);
    }
    for (const id of progressed) {
      const parent = store.get(id);
      if (parent?.progress) {
        const { state, progress } = parent;
        events.emit(toJobRow(parent), { at: now, jobId: id, from: state, to: state, reason: "progress", progress });
      }
    }
  };

  const core: EngineCore = {
    db,
    store,
    clock,
    logger,
    registry,
    transitions,
    rateLimiter: new RateLimiter(db, clock),
    ownerId: opts.ownerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`,
    leaseMs,
    settleMs: opts.settleMs ?? 2_000,
    maxReconciles: opts.maxReconciles ?? 5,
    random: opts.random ?? Math.random,
    write<T>(fn: (scope: WriteScope) => T): T {
      const scope = newScope(clock.now());
      const value = store.transaction(() => fn(scope));
      publish(scope);
      return value;
    },
  };

  const canvas = new Canvas(core);
  transitions.hooks = canvas;
  const batcher = new CommitBatcher(core, publish, { maxItems: 256, windowMs: opts.commitWindowMs ?? 0 });
  const dispatcher = new Dispatcher(core, batcher, {
    concurrency: config.concurrency,
    pollMs,
    heartbeatMs: Math.max(10, Math.min(leaseMs / 3, 5_000)),
  });
  wakeDispatcher = (queue) => dispatcher.wake(queue);
  const maintenance = new Maintenance(core, canvas, {
    sweepMs: opts.sweepMs ?? 1_000,
    resultTtlMs: config.resultTtlMs,
    activeIds: () => dispatcher.activeIds(),
  });
  registry.register(aggregateBetResultsTask, { builtin: true });

  const current = (id: string) => {
    const job = store.get(id);
    return job && toJobRow(job);
  };
  const read = (id: string) => {
    const job = store.get(id);
    if (!job) throw notFound(id);
    return job;
  };
  let started = false;

  return {
    register: (task) => registry.register(task),
    enqueue(task, args, options = {}) {
      const row = buildTaskJob(registry.require(task), args, options, clock.now());
      const when = row.dueAt > clock.now() ? `, due at ${new Date(row.dueAt).toISOString()}` : "";
      core.write((scope) => transitions.insert(scope, row, `enqueued${when}`));
      return toJobRow(row);
    },
    group: (spec) => canvas.group(spec),
    chord: (spec) => canvas.chord(spec),
    chain: (spec) => canvas.chain(spec),
    get: current,
    list(filter = {}) {
      const page = store.list(filter);
      return { jobs: page.jobs.map(toJobRow), nextCursor: page.nextCursor };
    },
    events: (id) => store.events(id),
    cancel(id, reason = "cancelled by request") {
      const toAbort: string[] = [];
      const job = core.write((scope) => revoke(core, scope, read(id), reason, toAbort));
      const error = new FleetError("CANCELLED", `job ${id} was cancelled: ${reason}`, { kind: "ambiguous" });
      for (const jobId of toAbort) dispatcher.abortLocal(jobId, "cancel", error);
      return toJobRow(job);
    },
    retry: (id) => toJobRow(core.write((scope) => requeue(core, scope, read(id)))),
    discard(id) {
      core.write(() => discard(core, read(id)));
    },
    stats: () => queueStats(store, config.concurrency, clock.now()),
    wait: (id, waitOpts) => waitForJob({ events, clock, pollMs, read: current }, id, waitOpts),
    on: (listener) => events.on(listener),
    async start() {
      if (started) return;
      started = true;
      maintenance.start();
      dispatcher.start();
    },
    async stop(stopOpts = {}) {
      if (!started) return;
      started = false;
      maintenance.stop();
      await dispatcher.stop(stopOpts.graceMs ?? 10_000);
      await Promise.allSettled([...alerts]);
    },
  };
}
