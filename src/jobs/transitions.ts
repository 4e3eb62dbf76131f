import type { JobExpectation, JobPatch, StoredJob } from "../storage/jobs.js";
import type { Tx } from "../storage/types.js";
import { assertTransition, isTerminal } from "./state-machine.js";
import type { JobEvent, JobState } from "./types.js";

export interface JobChange {
  job: StoredJob;
  event: JobEvent;
}

/** One write transaction in progress: its transaction, its time, and what to publish once it commits. */
export interface WriteScope {
  readonly tx: Tx;
  readonly now: number;
  readonly changes: JobChange[];
  /**
   * Canvas parents whose member count moved: each is read and published once per transaction, after it commits,
   * however many of its members finished in it.
   */
  readonly progressed: Set<string>;
  /**
   * Set while a commit batch runs its items without a savepoint each: a write that would recover from a failed
   * statement inside its own savepoint throws instead, and the batch runs again with savepoints.
   */
  optimistic: boolean;
}

export function newScope(tx: Tx, now: number): WriteScope {
  return { tx, now, changes: [], progressed: new Set(), optimistic: false };
}

/** Canvas bookkeeping that hangs off a member's transitions, in the member's own transaction. */
export interface MemberHooks {
  /** the job became terminal */
  onTerminal(scope: WriteScope, job: StoredJob): Promise<void>;
  /** the job left a terminal state (retried from the dead-letter queue) */
  onReopen(scope: WriteScope, job: StoredJob): Promise<void>;
}

/**
 * Every change of a job's state goes through `move`: it checks the state machine, applies the change as a
 * compare-and-set on the row, records the event with its reason, and runs the canvas hooks, all in the caller's
 * transaction. Nothing else writes `state`.
 */
export class Transitions {
  #hooks: MemberHooks | undefined;

  set hooks(hooks: MemberHooks) {
    this.#hooks = hooks;
  }

  async insert(scope: WriteScope, job: StoredJob, reason: string): Promise<StoredJob> {
    const event: JobEvent = { at: scope.now, jobId: job.id, from: null, to: job.state, reason };
    await scope.tx.jobs.insert(job, event);
    scope.changes.push({ job, event });
    return job;
  }

  /**
   * Moves `job` (as last read in this transaction, or as held under its lease) to `to`. Returns the updated row,
   * or undefined when the row changed meanwhile (another process moved it, or `leaseOwner` no longer holds the
   * lease): the caller lost the race.
   */
  async move(
    scope: WriteScope,
    job: StoredJob,
    to: JobState,
    reason: string,
    patch: JobPatch = {},
    expect: Omit<JobExpectation, "state"> = {},
  ): Promise<StoredJob | undefined> {
    assertTransition(job.id, job.state, to);
    // Every key this sets is in the literal before the patch is spread in, and then assigned: on Node 20's V8 a
    // key added to a spread copy misses the inline cache on every call (~1 µs), an assigned one does not. The
    // undefined keys are not written (a patch writes only what it sets). The expectation below is built alike.
    const full: JobPatch = {
      state: to,
      updatedAt: scope.now,
      leaseOwner: undefined,
      leaseExpiresAt: undefined,
      finishedAt: undefined,
      ...patch,
    };
    full.state = to;
    full.updatedAt = scope.now;
    if (job.state === "running" && to !== "running") {
      full.leaseOwner ??= null;
      full.leaseExpiresAt ??= null;
    }
    const finishing = isTerminal(to) && !isTerminal(job.state);
    if (finishing) full.finishedAt ??= scope.now;
    const event: JobEvent = { at: scope.now, jobId: job.id, from: job.state, to, reason };
    const expected: JobExpectation = { state: job.state, ...expect };
    expected.state = job.state;
    const updated = await scope.tx.jobs.update(job, expected, full, event);
    if (!updated) return undefined;
    scope.changes.push({ job: updated, event });
    if (finishing) await this.#hooks?.onTerminal(scope, updated);
    else if (isTerminal(job.state) && !isTerminal(to)) await this.#hooks?.onReopen(scope, updated);
    return updated;
  }

  /**
   * Runs `fn` in a savepoint with its own scope: if it throws, its writes are rolled back and none of its
   * changes are published; the enclosing transaction goes on.
   */
  async savepoint<T>(scope: WriteScope, fn: (inner: WriteScope) => Promise<T>): Promise<T> {
    let inner: WriteScope | undefined;
    const value = await scope.tx.savepoint((tx) => {
      inner = newScope(tx, scope.now);
      return fn(inner);
    });
    if (inner) {
      scope.changes.push(...inner.changes);
      for (const id of inner.progressed) scope.progressed.add(id);
    }
    return value;
  }
}
