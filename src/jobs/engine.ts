/** `createJobEngine`: wires the store, dispatcher, canvas, maintenance and events into the JobEngine contract. */

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { type FleetConfig, QUEUE_NAMES } from "../config.js";
import { FleetError } from "../errors.js";
import { type Logger, silentLogger } from "../log.js";
import type { StoredJob } from "../storage/jobs.js";
import type { Storage, Tx } from "../storage/types.js";
import { aggregateBetResultsTask } from "./aggregate-bet-results.js";
import { Canvas } from "./canvas.js";
import { type Clock, systemClock } from "./clock.js";
import { CommitBatcher } from "./commit-batcher.js";
import { type EngineCore, toJobRow } from "./core.js";
import { discard, requeue } from "./dead-letter.js";
import { Dispatcher } from "./dispatcher.js";
import { Egress } from "./egress.js";
import { JobEvents, notFound, waitForJob } from "./events.js";
import { createFailureHook, type JobFailure } from "./failure-hook.js";
import { buildTaskJob } from "./job-factory.js";
import { Maintenance } from "./maintenance.js";
import { DEFAULT_HEARTBEAT_MS, ProcessHeartbeat } from "./process-heartbeat.js";
import { TaskRegistry } from "./registry.js";
import { revoke } from "./revoke.js";
import { queueStats } from "./stats.js";
import { newScope, Transitions, type WriteScope } from "./transitions.js";
import type { JobEngine, JobState, QueueName } from "./types.js";

export interface JobEngineOptions {
  storage: Storage;
  config: Pick<FleetConfig, "concurrency" | "resultTtlMs" | "alertWebhookUrl"> &
    Partial<Pick<FleetConfig, "mirrorRetentionMs" | "mode">>;
  logger?: Logger;
  clock?: Clock;
  /** name on this process's leases; default host:pid:random */
  ownerId?: string;
  /** the egress (public IP) this process's calls leave from, by name; per-IP limits are drawn per egress. Default: host name */
  egressId?: string;
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
  /**
   * jobs each queue claims ahead of its concurrency (Celery's prefetch), so finished work is followed at once by
   * the next job instead of by the next claim's commit. Default: as many as the queue's concurrency.
   */
  prefetch?: Partial<Record<QueueName, number>>;
  /** group-commit window for completions; 0 (the default) commits what finished in one turn of the event loop */
  commitWindowMs?: number;
  /** jitter source; default Math.random */
  random?: () => number;
  /** this process also runs the scheduler (its heartbeat row says so). Default false */
  firesSchedules?: boolean;
  /** real-time period of this process's heartbeat in `processes`. Default 10 s */
  heartbeatMs?: number;
}

/** how long a lease lasts unless renewed; renewed every heartbeat (a third of it, at most 5 s) */
export const DEFAULT_LEASE_MS = 30_000;

const FAILURE_STATES: ReadonlySet<JobState> = new Set(["failed", "dead", "unknown"]);

export function createJobEngine(opts: JobEngineOptions): JobEngine {
  const { storage, config } = opts;
  const clock = opts.clock ?? systemClock;
  const logger = (opts.logger ?? silentLogger).child({ module: "jobs" });
  const leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
  const pollMs = opts.pollMs ?? 250;
  const registry = new TaskRegistry();
  const transitions = new Transitions();
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
  const publish = ({ changes, now }: WriteScope, parents: readonly StoredJob[]) => {
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
    for (const parent of parents) {
      const { id, state, progress } = parent;
      if (progress)
        events.emit(toJobRow(parent), { at: now, jobId: id, from: state, to: state, reason: "progress", progress });
    }
  };

  /** the canvas parents whose count moved in this transaction, as they stand at its end */
  const progressedParents = async ({ tx, progressed }: WriteScope): Promise<StoredJob[]> => {
    const parents: StoredJob[] = [];
    for (const id of progressed) {
      const parent = await tx.jobs.get(id);
      if (parent) parents.push(parent);
    }
    return parents;
  };

  /** runs `fn` in `tx` (the caller's transaction) or in a transaction of its own; publishes after the commit */
  const writeIn = async <T>(tx: Tx, fn: (scope: WriteScope) => Promise<T>): Promise<T> => {
    const scope = newScope(tx, clock.now());
    const value = await fn(scope);
    const parents = await progressedParents(scope);
    tx.afterCommit(() => publish(scope, parents));
    return value;
  };

  const core: EngineCore = {
    storage,
    clock,
    logger,
    registry,
    transitions,
    ownerId: opts.ownerId ?? `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`,
    egress: new Egress(opts.egressId ?? hostname()),
    leaseMs,
    settleMs: opts.settleMs ?? 2_000,
    maxReconciles: opts.maxReconciles ?? 5,
    random: opts.random ?? Math.random,
    write: (fn) => storage.transaction((tx) => writeIn(tx, fn)),
    writeIn: (tx, fn) => (tx ? writeIn(tx, fn) : storage.transaction((own) => writeIn(own, fn))),
  };

  const canvas = new Canvas(core);
  transitions.hooks = canvas;
  const batcher = new CommitBatcher(core, { maxItems: 256, windowMs: opts.commitWindowMs ?? 0 });
  const dispatcher = new Dispatcher(core, batcher, {
    concurrency: config.concurrency,
    pollMs,
    heartbeatMs: Math.max(10, Math.min(leaseMs / 3, 5_000)),
    prefetch: Object.fromEntries(
      QUEUE_NAMES.map((queue) => [queue, opts.prefetch?.[queue] ?? config.concurrency[queue]]),
    ) as Record<QueueName, number>,
  });
  wakeDispatcher = (queue) => dispatcher.wake(queue);
  const maintenance = new Maintenance(core, canvas, {
    sweepMs: opts.sweepMs ?? 1_000,
    resultTtlMs: config.resultTtlMs,
    ...(config.mirrorRetentionMs === undefined ? {} : { mirrorRetentionMs: config.mirrorRetentionMs }),
    activeIds: () => dispatcher.activeIds(),
  });
  const heartbeat = new ProcessHeartbeat(core, {
    mode: config.mode ?? "standalone",
    queues: { ...config.concurrency },
    firesSchedules: opts.firesSchedules ?? false,
    heartbeatMs: opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
  });
  registry.register(aggregateBetResultsTask, { builtin: true });

  // the engine's answers about jobs wait until what they report is durable
  const current = async (id: string) => {
    const job = await storage.jobs.get(id);
    await storage.settled();
    return job && toJobRow(job);
  };
  const read = async (scope: WriteScope, id: string) => {
    const job = await scope.tx.jobs.get(id);
    if (!job) throw notFound(id);
    return job;
  };
  let started = false;
  let unsubscribe: (() => void) | undefined;

  return {
    register: (task) => registry.register(task),
    async enqueue(task, args, { tx, ...options } = {}) {
      const row = buildTaskJob(registry.require(task), args, options, clock.now());
      const when = row.dueAt > clock.now() ? `, due at ${new Date(row.dueAt).toISOString()}` : "";
      await core.writeIn(tx, (scope) => transitions.insert(scope, row, `enqueued${when}`));
      return toJobRow(row);
    },
    group: (spec, options) => canvas.group(spec, options?.tx),
    chord: (spec, options) => canvas.chord(spec, options?.tx),
    chain: (spec, options) => canvas.chain(spec, options?.tx),
    get: current,
    async list(filter = {}) {
      const page = await storage.jobs.list(filter);
      await storage.settled();
      return { jobs: page.jobs.map(toJobRow), nextCursor: page.nextCursor };
    },
    async events(id) {
      const events = await storage.jobs.events(id);
      await storage.settled();
      return events;
    },
    async cancel(id, reason = "cancelled by request") {
      const toAbort: string[] = [];
      const job = await core.write(async (scope) => revoke(core, scope, await read(scope, id), reason, toAbort));
      const error = new FleetError("CANCELLED", `job ${id} was cancelled: ${reason}`, { kind: "ambiguous" });
      for (const jobId of toAbort) dispatcher.abortLocal(jobId, "cancel", error);
      return toJobRow(job);
    },
    retry: async (id) => toJobRow(await core.write(async (scope) => requeue(core, scope, await read(scope, id)))),
    async discard(id) {
      await core.write(async (scope) => discard(scope, await read(scope, id)));
    },
    async stats() {
      const stats = await queueStats(storage.jobs, config.concurrency, clock.now());
      await storage.settled();
      return stats;
    },
    wait: (id, waitOpts) => waitForJob({ events, clock, pollMs, read: current }, id, waitOpts),
    on: (listener) => events.on(listener),
    async start() {
      if (started) return;
      started = true;
      // seen at once, even while recovery below takes its time
      await heartbeat.start();
      await maintenance.start();
      dispatcher.start();
      // another process's commit of claimable work wakes this one at once (PostgreSQL); else the poll finds it
      unsubscribe = storage.onJobsAvailable?.((queue) => {
        if ((QUEUE_NAMES as readonly string[]).includes(queue)) dispatcher.wake(queue as QueueName);
        else dispatcher.wake();
      });
    },
    async stop(stopOpts = {}) {
      if (!started) return;
      started = false;
      unsubscribe?.();
      await maintenance.stop();
      await dispatcher.stop(stopOpts.graceMs ?? 10_000);
      // gone, not silent: removed only once its leases are released
      await heartbeat.stop();
      await Promise.allSettled([...alerts]);
    },
  };
}
