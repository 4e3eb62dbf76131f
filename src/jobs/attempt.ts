/** One attempt of one job: the task's `run` (or `reconcile`) with its signal, time limit and commit writes. */
import { FleetError } from "../errors.js";
import type { StoredJob } from "../storage/jobs.js";
import { type EngineCore, toJobRow } from "./core.js";
import { parseArgs } from "./job-factory.js";
import type { AbortCause, AttemptOutcome, CommitWrite } from "./outcome.js";
import type { JobProgress, ReconcileOutcome, TaskContext, TaskDefinition } from "./types.js";

/** A claimed job being worked on in this process. */
export class Attempt {
  readonly job: StoredJob;
  readonly controller = new AbortController();
  abortCause: AbortCause | null = null;
  /** the outcome is decided; the lease is still renewed until the completion is committed */
  settled = false;
  /** its slot in the queue's concurrency went back to the dispatcher (see Dispatcher#releaseSlot) */
  slotReleased = false;

  constructor(job: StoredJob) {
    this.job = job;
  }

  abort(cause: AbortCause, reason: FleetError): void {
    if (this.controller.signal.aborted || this.settled) return;
    this.abortCause = cause;
    this.controller.abort(reason);
  }
}

/** Never throws: every way an attempt can end is an `AttemptOutcome`. */
export async function runAttempt(
  core: EngineCore,
  task: TaskDefinition,
  attempt: Attempt,
  onProgress: (p: JobProgress) => void,
): Promise<AttemptOutcome> {
  const { job, controller } = attempt;
  if (controller.signal.aborted && attempt.abortCause) {
    // it waited for its slot (prefetched) and was stopped before it began: its task must not run at all
    return { ok: false, unstarted: true, error: controller.signal.reason, aborted: attempt.abortCause };
  }
  const limit = core.clock.setTimeout(() => {
    const message = `task ${task.name} exceeded its time limit of ${task.timeLimitMs} ms`;
    attempt.abort("time_limit", new FleetError("TIMEOUT", message, { kind: "ambiguous" }));
  }, task.timeLimitMs);
  const commits: CommitWrite[] = [];
  try {
    const ctx: TaskContext<unknown> = {
      job: toJobRow(job),
      args: parseArgs(task, job.args),
      attempt: job.attempts,
      signal: controller.signal,
      storage: core.storage,
      progress: (p) => onProgress(checkProgress(p)),
      onCommit: (write) => {
        commits.push(write);
      },
    };
    const work = Promise.resolve().then(() => (job.phase === "reconcile" ? reconcile(task, ctx) : task.run(ctx)));
    const value = await untilAborted(work, controller.signal);
    return { ok: true, value, commits, aborted: null };
  } catch (error) {
    return { ok: false, error, aborted: attempt.abortCause };
  } finally {
    limit.cancel();
  }
}

async function reconcile(task: TaskDefinition, ctx: TaskContext<unknown>): Promise<ReconcileOutcome<unknown>> {
  if (!task.reconcile) throw new FleetError("INTERNAL", `task ${task.name} has no reconcile`);
  const outcome = (await task.reconcile(ctx)) as ReconcileOutcome<unknown> | undefined;
  const known = outcome && ["done", "not_done", "unknown"].includes(outcome.outcome);
  if (!known) {
    throw new FleetError(
      "INTERNAL",
      `reconcile of ${task.name} returned \`${JSON.stringify(outcome)}\`, not an outcome`,
    );
  }
  return outcome;
}

/**
 * Settles with the task, or rejects with the abort reason as soon as the signal fires: a task that ignores its
 * signal cannot hold the slot past its hard limit.
 */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined); // its own failure is not news once the attempt has been aborted
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

function checkProgress(p: JobProgress): JobProgress {
  const valid = Number.isFinite(p.done) && Number.isFinite(p.total) && p.done >= 0 && p.total >= 0;
  if (!valid) {
    throw new FleetError("INVALID_INPUT", `progress needs finite done and total ≥ 0, got \`${JSON.stringify(p)}\``);
  }
  return p.message === undefined
    ? { done: p.done, total: p.total }
    : { done: p.done, total: p.total, message: p.message };
}
