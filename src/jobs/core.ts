/** What the engine's parts share: the store, the clock, the registry and the one way to write. */

import type { Logger } from "../log.js";
import type { StoredJob } from "../storage/jobs.js";
import type { Storage, Tx } from "../storage/types.js";
import type { Clock } from "./clock.js";
import type { Egress } from "./egress.js";
import type { DecisionPolicy } from "./outcome.js";
import type { TaskRegistry } from "./registry.js";
import type { Transitions, WriteScope } from "./transitions.js";
import type { JobRow, RetryPolicy } from "./types.js";

export interface EngineCore {
  /** everything persisted; inside a write, use the scope's `tx` instead */
  readonly storage: Storage;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly registry: TaskRegistry;
  readonly transitions: Transitions;
  /** this process's name on the leases it holds */
  readonly ownerId: string;
  /** the egress this process's calls leave from: its own per-IP rate-limit budget */
  readonly egress: Egress;
  readonly leaseMs: number;
  /** how long an ambiguous money request is left to settle on the server before it is reconciled */
  readonly settleMs: number;
  readonly maxReconciles: number;
  readonly random: () => number;
  /** one write transaction; its changes are published to listeners once it has committed durably */
  write<T>(fn: (scope: WriteScope) => Promise<T>): Promise<T>;
  /** the same inside the caller's transaction `tx`: published once that transaction has committed */
  writeIn<T>(tx: Tx | undefined, fn: (scope: WriteScope) => Promise<T>): Promise<T>;
}

/** for jobs whose task is not registered in this process (recovery still has to decide for them) */
const FALLBACK_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0.2 };

export function decisionPolicy(core: EngineCore, job: StoredJob, now: number): DecisionPolicy {
  return {
    retry: core.registry.get(job.task)?.retry ?? FALLBACK_RETRY,
    settleMs: core.settleMs,
    maxReconciles: core.maxReconciles,
    now,
    random: core.random,
  };
}

/**
 * Invariant 1 in one predicate: the next claim of this job must reconcile, never run, because its last request
 * may have reached the server (only `not_done`, proven, or no request yet, allows a run).
 */
export function mustReconcile(job: StoredJob): boolean {
  return job.phase === "reconcile" || (job.money && job.moneyState !== null && job.moneyState !== "not_done");
}

/** The public row: the engine's bookkeeping stays inside src/jobs. */
export function toJobRow(job: StoredJob): JobRow {
  return {
    id: job.id,
    task: job.task,
    queue: job.queue,
    state: job.state,
    priority: job.priority,
    args: job.args,
    result: job.result,
    error: job.error,
    attempts: job.attempts,
    maxAttempts: job.maxAttempts,
    moneyState: job.moneyState,
    idempotencyKey: job.idempotencyKey,
    parentId: job.parentId,
    canvasId: job.canvasId,
    progress: job.progress,
    createdAt: job.createdAt,
    dueAt: job.dueAt,
    expiresAt: job.expiresAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    leaseOwner: job.leaseOwner,
    leaseExpiresAt: job.leaseExpiresAt,
  };
}
