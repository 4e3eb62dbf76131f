/**
 * The worker side: claims due jobs from the storage as capacity frees up, runs them on one p-queue per named
 * queue (which only bounds in-process concurrency and orders by priority; the backlog stays in the database),
 * renews their leases while they run, and hands each outcome to the group commit. A claim holds its slots from
 * the moment it is written until it is durable and launched (or rolled back), so claims in flight never lease
 * more than the queue's concurrency.
 */
import PQueue from "p-queue";
import { QUEUE_NAMES } from "../config.js";
import { FleetError } from "../errors.js";
import type { StoredJob } from "../storage/jobs.js";
import { Attempt, runAttempt } from "./attempt.js";
import { claimDue } from "./claim.js";
import type { ClockTimer } from "./clock.js";
import type { CommitBatcher, TailWork } from "./commit-batcher.js";
import { applyDecision, recordProgress } from "./completion.js";
import { decisionPolicy, type EngineCore } from "./core.js";
import { errorText } from "./job-error.js";
import { type AbortCause, type Decision, decideAttempt } from "./outcome.js";
import type { WriteScope } from "./transitions.js";
import type { JobProgress, QueueName, TaskDefinition } from "./types.js";

export interface DispatcherOptions {
  concurrency: Record<QueueName, number>;
  /** how often to look for work other processes enqueued or that came due */
  pollMs: number;
  /** how often leases are renewed (well inside leaseMs) */
  heartbeatMs: number;
  /**
   * Celery's prefetch: jobs claimed per queue beyond its concurrency, leased and waiting in this process, so a
   * slot that frees up starts its next job at once instead of after the next claim's commit. A waiting money
   * job's claim is its intent: if this process dies, it is reconciled like any other (nothing was sent).
   */
  prefetch: Record<QueueName, number>;
}

/** a job that starts this long after its claim has its rate-limit calls counted from its start */
const RESTAMP_AFTER_MS = 100;

export class Dispatcher {
  readonly #core: EngineCore;
  readonly #batcher: CommitBatcher;
  readonly #opts: DispatcherOptions;
  readonly #queues = new Map<QueueName, PQueue>();
  readonly #inFlight = new Map<QueueName, number>();
  readonly #active = new Map<string, Attempt>();
  readonly #executions = new Set<Promise<void>>();
  #running = false;
  #pumpScheduled = false;
  /** a claim of the pump is being written; a kick meanwhile runs the pump again once it is done */
  #pumping = false;
  #pumpAgain = false;
  /**
   * Queues whose last claim came up short: nothing more is due there until a job is enqueued or rescheduled in
   * this process, its due timer fires, or the poll looks (for other processes' work). Claims skip them.
   */
  readonly #dry = new Set<QueueName>();
  #poll: NodeJS.Timeout | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #dueTimer: { at: number; timer: ClockTimer } | undefined;

  constructor(core: EngineCore, batcher: CommitBatcher, opts: DispatcherOptions) {
    this.#core = core;
    this.#batcher = batcher;
    this.#opts = opts;
    for (const queue of QUEUE_NAMES) {
      this.#queues.set(queue, new PQueue({ concurrency: opts.concurrency[queue] }));
      this.#inFlight.set(queue, 0);
    }
    // the transaction that records finished attempts also leases work for the slots they free
    batcher.tail = (scope) => this.#claimAfterBatch(scope);
  }

  /** ids of the jobs this process is working on */
  activeIds(): Set<string> {
    return new Set(this.#active.keys());
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#poll = setInterval(() => {
      this.wake();
      void this.#abortCancelled();
    }, this.#opts.pollMs);
    this.#poll.unref();
    this.#heartbeat = setInterval(() => void this.#renewLeases(), this.#opts.heartbeatMs);
    this.#heartbeat.unref();
    this.kick();
  }

  /** work may be due in `queue` (every queue when omitted): look soon */
  wake(queue?: QueueName): void {
    if (queue === undefined) this.#dry.clear();
    else this.#dry.delete(queue);
    this.kick();
  }

  /** slots may have freed up: claim for them soon (coalesced) */
  kick(): void {
    if (!this.#running) return;
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => void this.#pump());
  }

  /** aborts a run-phase attempt of this process; false when the job is not running here */
  abortLocal(jobId: string, cause: AbortCause, reason: FleetError): boolean {
    const attempt = this.#active.get(jobId);
    if (attempt?.job.phase !== "run") return false;
    attempt.abort(cause, reason);
    return true;
  }

  /** stops claiming, lets attempts finish for `graceMs`, then aborts the rest and commits their outcomes */
  async stop(graceMs: number): Promise<void> {
    this.#running = false;
    clearInterval(this.#poll);
    this.#dueTimer?.timer.cancel();
    this.#dueTimer = undefined;
    if (this.#executions.size > 0) {
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#executions]),
        new Promise((resolve) => {
          grace = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(grace);
      for (const attempt of this.#active.values()) attempt.abort("shutdown", shutdownError());
    }
    // a claim that was already on its way when stop began is launched aborted, and hands its job back
    while (this.#executions.size > 0) await Promise.allSettled([...this.#executions]);
    await this.#batcher.flush();
    clearInterval(this.#heartbeat);
  }

  async #pump(): Promise<void> {
    this.#pumpScheduled = false;
    // a commit batch is on its way, and it claims for the free slots in its own transaction
    if (this.#batcher.pending > 0) return;
    const free = this.#freeSlots();
    if (free.length === 0) return;
    this.#pumping = true;
    let claimed: StoredJob[] = [];
    let reserved: StoredJob[] = [];
    try {
      claimed = await this.#core.write(async (scope) => {
        reserved = await claimDue(this.#core, scope, free, this.#tasks());
        this.#reserve(reserved, +1);
        return reserved;
      });
    } catch (err) {
      this.#reserve(reserved, -1);
      this.#core.logger.error({ err: errorText(err) }, "claiming jobs failed; the poll will try again");
      return;
    } finally {
      this.#pumping = false;
      if (this.#pumpAgain) {
        this.#pumpAgain = false;
        this.kick();
      }
    }
    this.#started(free, claimed);
  }

  /** Runs inside a commit batch's transaction, in a savepoint: claims for the slots free once it commits. */
  async #claimAfterBatch(scope: WriteScope): Promise<TailWork | undefined> {
    const free = this.#freeSlots();
    if (free.length === 0) return undefined;
    let claimed: StoredJob[];
    try {
      claimed = await this.#core.transitions.savepoint(scope, (inner) =>
        claimDue(this.#core, inner, free, this.#tasks()),
      );
    } catch (err) {
      this.#core.logger.error({ err: errorText(err) }, "claiming jobs failed; the poll will try again");
      return undefined;
    }
    this.#reserve(claimed, +1);
    return {
      committed: () => this.#started(free, claimed),
      rolledBack: () => this.#reserve(claimed, -1),
    };
  }

  /** counts claimed jobs against their queues' concurrency from the moment they are written */
  #reserve(jobs: readonly StoredJob[], sign: 1 | -1): void {
    for (const job of jobs) this.#inFlight.set(job.queue, (this.#inFlight.get(job.queue) ?? 0) + sign);
  }

  /** Free slots per queue that may have due work, when running and some task is registered. */
  #freeSlots(): Array<[QueueName, number]> {
    if (!this.#running || this.#core.registry.names().length === 0) return [];
    const free: Array<[QueueName, number]> = [];
    for (const queue of QUEUE_NAMES) {
      if (this.#dry.has(queue)) continue;
      const held = this.#opts.concurrency[queue] + this.#opts.prefetch[queue];
      const slots = held - (this.#inFlight.get(queue) ?? 0);
      if (slots > 0) free.push([queue, slots]);
    }
    return free;
  }

  #tasks(): string[] {
    return this.#core.registry.names();
  }

  /**
   * Launches what a committed claim leased. A queue that came up short is dry until its next job is due (a
   * timer wakes the pump then), unless due jobs are still waiting there: the claim ran out of rounds moving
   * expired or rate-limited rows aside, so look again at once.
   */
  #started(free: ReadonlyArray<readonly [QueueName, number]>, claimed: StoredJob[]): void {
    const short = new Map(free);
    for (const job of claimed) {
      this.#launch(job);
      short.set(job.queue, (short.get(job.queue) ?? 0) - 1);
    }
    void this.#markDry(short);
  }

  async #markDry(short: ReadonlyMap<QueueName, number>): Promise<void> {
    const { clock, storage } = this.#core;
    const tasks = this.#tasks();
    let wakeAt: number | null = null;
    for (const [queue, slots] of short) {
      if (slots <= 0) continue;
      let due: number | null;
      try {
        due = await storage.jobs.nextDueAt(queue, tasks);
      } catch {
        continue; // the poll will look again
      }
      const egressFreeAt = this.#core.egress.nextFreeAt(clock.now());
      if (due !== null && due <= clock.now() && egressFreeAt === undefined) {
        this.kick();
        continue;
      }
      // due jobs this egress has no budget for wait for another egress, or for this one's budget
      if (due !== null && due <= clock.now()) due = egressFreeAt ?? due;
      this.#dry.add(queue);
      if (due !== null && (wakeAt === null || due < wakeAt)) wakeAt = due;
    }
    if (wakeAt !== null) this.#armDueTimer(wakeAt);
  }

  /** wakes the pump when the next waiting job comes due (a retry's backoff, a deferred job, a future dueAt) */
  #armDueTimer(due: number): void {
    const { clock } = this.#core;
    if (this.#dueTimer && this.#dueTimer.at <= due) return;
    this.#dueTimer?.timer.cancel();
    const timer = clock.setTimeout(() => {
      this.#dueTimer = undefined;
      this.wake();
    }, due - clock.now());
    this.#dueTimer = { at: due, timer };
  }

  /** runs a claimed job; its slot was reserved when the claim was written */
  #launch(job: StoredJob): void {
    const queue = job.queue;
    const attempt = new Attempt(job);
    this.#active.set(job.id, attempt);
    if (!this.#running) attempt.abort("shutdown", shutdownError());
    // the queue's slot is held while the task runs, not while its outcome commits: the next job (prefetched,
    // already leased) starts at once, and the lease of this one is renewed until its outcome is durable
    const execution = (this.#queues.get(queue) as PQueue)
      .add(() => this.#execute(attempt), { priority: job.priority })
      .then((decision) => (decision ? this.#record(attempt, decision) : undefined))
      .catch((err: unknown) => {
        this.#core.logger.error({ jobId: job.id, err: errorText(err) }, "recording a job's outcome failed");
      })
      .finally(() => {
        this.#active.delete(job.id);
        this.#releaseSlot(attempt);
        this.#executions.delete(execution);
        this.kick();
      });
    this.#executions.add(execution);
  }

  /** once per attempt: when its outcome joins a commit batch, or when it ends without one */
  #releaseSlot(attempt: Attempt): void {
    if (attempt.slotReleased) return;
    attempt.slotReleased = true;
    const queue = attempt.job.queue;
    this.#inFlight.set(queue, (this.#inFlight.get(queue) ?? 1) - 1);
  }

  /** runs the attempt and decides its outcome; null when the lease was lost (nothing is to be written) */
  async #execute(attempt: Attempt): Promise<Decision | null> {
    const core = this.#core;
    const { job } = attempt;
    const task = core.registry.require(job.task);
    await this.#restampIfLate(task, job);
    const outcome = await runAttempt(core, task, attempt, (p) => this.#progress(job, p));
    attempt.settled = true;
    const decision = decideAttempt(job, outcome, decisionPolicy(core, job, core.clock.now()));
    if (!decision) {
      core.logger.warn({ jobId: job.id, task: job.task }, "lease lost while running; another process took over");
      return null;
    }
    // Its slot is free from here on: the batch that records this outcome claims the next job in the same commit.
    this.#releaseSlot(attempt);
    return decision;
  }

  /**
   * The calls a job drew at its claim are counted from the claim; the server counts them when they arrive. A job
   * that waited after its claim (a slot, a cold start) has them counted from now instead, so the window cannot
   * reopen before the server's does.
   */
  async #restampIfLate(task: TaskDefinition, job: StoredJob): Promise<void> {
    if (!task.rateLimits || job.phase !== "run" || job.startedAt === null) return;
    const now = this.#core.clock.now();
    if (now - job.startedAt < RESTAMP_AFTER_MS) return;
    try {
      await this.#core.storage.rateLimits.restamp(job.id, now);
    } catch (err) {
      this.#core.logger.warn({ jobId: job.id, err: errorText(err) }, "rate-limit calls not restamped");
    }
  }

  /** commits the outcome with the next batch. If that fails the job stays `running` under a lease nobody renews */
  async #record(attempt: Attempt, decision: Decision): Promise<void> {
    const { job } = attempt;
    const moved = await this.#batcher.submit((scope) => applyDecision(this.#core, scope, job, decision));
    if (!moved) {
      this.#core.logger.warn({ jobId: job.id, task: job.task }, "job changed while it ran; outcome not recorded");
    }
  }

  #progress(job: StoredJob, progress: JobProgress): void {
    this.#batcher
      .submit((scope) => recordProgress(this.#core, scope, job, progress))
      .catch((err: unknown) => {
        this.#core.logger.warn({ jobId: job.id, err: errorText(err) }, "progress update not recorded");
      });
  }

  /**
   * A cancel from another process only marks the row; the poll reads those marks for the jobs running here, so
   * their signals abort within a poll interval instead of at the next heartbeat.
   */
  async #abortCancelled(): Promise<void> {
    const running = [...this.#active.values()].filter((a) => a.job.phase === "run" && !a.controller.signal.aborted);
    if (running.length === 0) return;
    let asked: Set<string>;
    try {
      asked = await this.#core.storage.jobs.cancelRequested(
        this.#core.ownerId,
        running.map((a) => a.job.id),
      );
    } catch (err) {
      this.#core.logger.warn({ err: errorText(err) }, "reading cancel requests failed; the heartbeat will see them");
      return;
    }
    for (const attempt of running) {
      if (asked.has(attempt.job.id)) attempt.abort("cancel", cancelledError(attempt.job.id));
    }
  }

  async #renewLeases(): Promise<void> {
    if (this.#active.size === 0) return;
    const { storage, clock, ownerId, leaseMs } = this.#core;
    const ids = [...this.#active.keys()];
    let lease: { held: Set<string>; cancelRequested: Set<string> };
    try {
      lease = await storage.jobs.renewLeases(ownerId, ids, clock.now() + leaseMs);
    } catch (err) {
      this.#core.logger.error({ err: errorText(err) }, "renewing leases failed");
      return;
    }
    // only the jobs asked about: one launched while the renewal was on its way has a fresh lease of its own
    for (const id of ids) {
      const attempt = this.#active.get(id);
      if (!attempt) continue;
      if (!lease.held.has(id)) {
        attempt.abort("lease_lost", new FleetError("CONFLICT", `the lease on job ${id} was lost to another process`));
      } else if (lease.cancelRequested.has(id) && attempt.job.phase === "run") {
        attempt.abort("cancel", cancelledError(id));
      }
    }
  }
}

function shutdownError(): FleetError {
  return new FleetError("CANCELLED", "pf-fleet is shutting down", { kind: "ambiguous" });
}

function cancelledError(jobId: string): FleetError {
  return new FleetError("CANCELLED", `job ${jobId} was cancelled`, { kind: "ambiguous" });
}
