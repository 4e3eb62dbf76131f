import { assertTransition, isTerminal } from "./state-machine.js";
import type { JobExpectation, JobPatch, JobStore, StoredJob } from "./store.js";
import type { JobEvent, JobState } from "./types.js";

export interface JobChange {
  job: StoredJob;
  event: JobEvent;
}

/** One write transaction in progress: its time, and the changes to publish once it commits. */
export interface WriteScope {
  readonly now: number;
  readonly changes: JobChange[];
}

/** Runs inside the transaction that made a job terminal (canvas bookkeeping hangs off this). */
export type TerminalHook = (scope: WriteScope, job: StoredJob) => void;

/**
 * Every change of a job's state goes through `move`: it checks the state machine, applies the change as a
 * compare-and-set on the row, records the event with its reason, and runs the terminal hook, all in the caller's
 * transaction. Nothing else writes `state`.
 */
export class Transitions {
  readonly #store: JobStore;
  #onTerminal: TerminalHook | undefined;

  constructor(store: JobStore) {
    this.#store = store;
  }

  set onTerminal(hook: TerminalHook) {
    this.#onTerminal = hook;
  }

  insert(scope: WriteScope, job: StoredJob, reason: string): StoredJob {
    this.#store.insert(job);
    this.#record(scope, job, { at: scope.now, jobId: job.id, from: null, to: job.state, reason });
    return job;
  }

  /**
   * Moves `job` (as last read) to `to`. Returns the updated row, or undefined when the row changed meanwhile
   * (another process moved it, or `leaseOwner` no longer holds the lease): the caller lost the race.
   */
  move(
    scope: WriteScope,
    job: StoredJob,
    to: JobState,
    reason: string,
    patch: JobPatch = {},
    expect: Omit<JobExpectation, "state"> = {},
  ): StoredJob | undefined {
    assertTransition(job.id, job.state, to);
    const full: JobPatch = { ...patch, state: to, updatedAt: scope.now };
    if (job.state === "running" && to !== "running") {
      full.leaseOwner ??= null;
      full.leaseExpiresAt ??= null;
    }
    if (isTerminal(to) && !isTerminal(job.state)) full.finishedAt ??= scope.now;
    const updated = this.#store.update(job.id, { ...expect, state: job.state }, full);
    if (!updated) return undefined;
    this.#record(scope, updated, { at: scope.now, jobId: job.id, from: job.state, to, reason });
    if (isTerminal(to) && !isTerminal(job.state)) this.#onTerminal?.(scope, updated);
    return updated;
  }

  /**
   * Runs `fn` in a savepoint with its own change list: if it throws, its writes are rolled back and none of its
   * changes are published; the enclosing transaction goes on.
   */
  savepoint<T>(scope: WriteScope, fn: (inner: WriteScope) => T): T {
    const inner: WriteScope = { now: scope.now, changes: [] };
    const value = this.#store.transaction(() => fn(inner));
    scope.changes.push(...inner.changes);
    return value;
  }

  #record(scope: WriteScope, job: StoredJob, event: JobEvent): void {
    this.#store.appendEvent(event);
    scope.changes.push({ job, event });
  }
}
