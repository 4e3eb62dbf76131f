/**
 * What happens to a job after an attempt: pure decisions, no I/O. This is where invariant 1 lives: a money job
 * whose request may have reached the server is never sent again; it goes to reconciliation, and only a proven
 * `not_done` lets it run again.
 */
import { FleetError, toFleetError } from "../errors.js";
import type { JobPatch, StoredJob } from "../storage/jobs.js";
import type { ReceiptWriter } from "../storage/types.js";
import { backoffDelay } from "./backoff.js";
import { describeJobError, type JobError, jobError } from "./job-error.js";
import type { JobState, ReconcileOutcome, RetryPolicy } from "./types.js";

export type AbortCause = "cancel" | "time_limit" | "shutdown" | "lease_lost";
export type CommitWrite = (tx: ReceiptWriter) => Promise<unknown>;

/** The result of one attempt; for a reconcile attempt `value` is the task's ReconcileOutcome. */
export type AttemptOutcome =
  | { ok: true; value: unknown; commits: CommitWrite[]; aborted: null }
  | { ok: false; error: unknown; aborted: AbortCause | null }
  /** aborted while it waited for its slot (a prefetched claim): its task never ran, nothing was sent */
  | { ok: false; unstarted: true; error: unknown; aborted: AbortCause };

export interface Decision {
  to: JobState;
  reason: string;
  patch: JobPatch;
  /** writes that commit in the same transaction as this decision (on success, or facts a reconciliation proved) */
  commits: CommitWrite[];
}

export interface DecisionPolicy {
  retry: RetryPolicy;
  settleMs: number;
  maxReconciles: number;
  now: number;
  random: () => number;
}

/** when a 429 carries no reset time */
const DEFAULT_RATE_LIMIT_WAIT_MS = 1_000;

const ABORT_TEXT: Record<AbortCause, string> = {
  cancel: "cancelled while its request may have been in flight",
  time_limit: "hit its time limit while its request may have been in flight",
  shutdown: "interrupted by shutdown while its request may have been in flight",
  lease_lost: "lost its lease",
};

/** null: the lease was lost, so another process owns the job and this attempt writes nothing */
export function decideAttempt(job: StoredJob, outcome: AttemptOutcome, p: DecisionPolicy): Decision | null {
  if (outcome.aborted === "lease_lost") return null;
  if ("unstarted" in outcome) return decideUnstarted(job, outcome.aborted, outcome.error, p);
  if (job.phase === "reconcile") return decideReconcile(job, outcome, p);
  if (outcome.ok) return succeed(job, outcome.value, outcome.commits, `finished on attempt ${job.attempts}`);
  return job.money ? decideMoneyFailure(job, outcome.error, outcome.aborted, p) : decidePlainFailure(job, outcome, p);
}

/**
 * A claim given up before its task ran: the lease goes back as if it had never been taken (a money job's intent
 * is withdrawn, since nothing was sent), or the job ends cancelled when that is why.
 */
function decideUnstarted(job: StoredJob, cause: AbortCause, reason: unknown, p: DecisionPolicy): Decision {
  if (job.phase === "reconcile") {
    // a reconciliation's claim spent no attempt; it is still owed, whatever stopped this one
    const why = `released before its reconciliation started (${cause})`;
    return { to: "retrying", reason: why, patch: { dueAt: p.now }, commits: [] };
  }
  // before its claim, the job had never sent (first attempt) or was proven not_done: that is restored
  const unsent: JobPatch = job.money ? { moneyState: job.attempts > 1 ? "not_done" : null } : {};
  if (cause === "cancel" || job.cancelRequested) {
    const error = jobError(toFleetError(reason));
    const patch = { ...unsent, error, attempts: job.attempts - 1 };
    return { to: "cancelled", reason: "cancelled before it started", patch, commits: [] };
  }
  const back = release(job, p, `released before it started (${cause}); nothing was sent, no attempt spent`);
  return { ...back, patch: { ...back.patch, ...unsent } };
}

/** A running job whose owner stopped renewing its lease (the process died). */
export function decideAbandoned(job: StoredJob, p: DecisionPolicy): Decision {
  const who = `lease of ${job.leaseOwner ?? "an unknown process"} expired (process presumed dead)`;
  if (job.money) {
    if (job.phase === "reconcile") return reconcileAgain(job, who, p);
    const err = new FleetError(
      "OUTCOME_UNKNOWN",
      `${who} during attempt ${job.attempts}; the request may have been sent`,
      {
        kind: "ambiguous",
      },
    );
    return toReconcile(err, p, `${who}; reconciling after ${p.settleMs} ms, not re-sending`);
  }
  const error = jobError(new FleetError("INTERNAL", `${who} during attempt ${job.attempts}`, { kind: "retryable" }));
  if (job.cancelRequested)
    return { to: "cancelled", reason: `${who}; it had been cancelled`, patch: { error }, commits: [] };
  return retryOrDead(job, error, who, p, {});
}

function decidePlainFailure(
  job: StoredJob,
  outcome: { error: unknown; aborted: AbortCause | null },
  p: DecisionPolicy,
): Decision {
  const err = toFleetError(outcome.error);
  const error = jobError(err);
  if (outcome.aborted === "cancel" || job.cancelRequested) {
    return { to: "cancelled", reason: "cancelled while running", patch: { error }, commits: [] };
  }
  if (outcome.aborted === "shutdown") {
    return release(job, p, "released at shutdown; it runs again without spending an attempt");
  }
  if (err.kind === "permanent") {
    return {
      to: "failed",
      reason: `permanent error, not retried: ${describeJobError(error)}`,
      patch: { error },
      commits: [],
    };
  }
  if (err.kind === "rate_limited") return rateLimited(job, err, p, {});
  return retryOrDead(job, error, `attempt ${job.attempts} failed (${describeJobError(error)})`, p, {});
}

function decideMoneyFailure(job: StoredJob, thrown: unknown, aborted: AbortCause | null, p: DecisionPolicy): Decision {
  // Only a FleetError that says the server did not process the request proves `not_done`.
  if (aborted === null && thrown instanceof FleetError && thrown.kind !== "ambiguous") {
    const error = jobError(thrown);
    const notDone: JobPatch = { moneyState: "not_done" };
    if (thrown.kind === "permanent") {
      return {
        to: "failed",
        reason: `refused by the server, nothing moved: ${describeJobError(error)}`,
        patch: { ...notDone, error },
        commits: [],
      };
    }
    if (thrown.kind === "rate_limited") return rateLimited(job, thrown, p, notDone);
    if (job.cancelRequested) {
      return {
        to: "cancelled",
        reason: "cancelled; its request was proven not sent",
        patch: { ...notDone, error },
        commits: [],
      };
    }
    return retryOrDead(job, error, `attempt ${job.attempts} not processed (${describeJobError(error)})`, p, notDone);
  }
  const why = aborted
    ? ABORT_TEXT[aborted]
    : thrown instanceof FleetError
      ? `outcome unknown (${thrown.code})`
      : "the task threw an unexpected error";
  const err =
    thrown instanceof FleetError
      ? thrown
      : new FleetError("OUTCOME_UNKNOWN", `${job.task} threw: ${toFleetError(thrown).message}`, {
          kind: "ambiguous",
          cause: thrown,
        });
  return toReconcile(err, p, `${why}; reconciling after ${p.settleMs} ms, not re-sending`);
}

function decideReconcile(job: StoredJob, outcome: AttemptOutcome, p: DecisionPolicy): Decision {
  if (outcome.aborted === "shutdown") {
    return { to: "retrying", reason: "reconciliation interrupted by shutdown", patch: { dueAt: p.now }, commits: [] };
  }
  if (!outcome.ok) {
    return reconcileAgain(job, `reconciliation failed (${describeJobError(jobError(outcome.error))})`, p);
  }
  const r = outcome.value as ReconcileOutcome<unknown>;
  if (r.outcome === "done") return succeed(job, r.result, outcome.commits, "reconciled: the server processed it");
  if (r.outcome === "unknown") return reconcileAgain(job, r.reason, p);
  const notDone: JobPatch = { moneyState: "not_done", phase: "run", reconcileAttempts: 0 };
  // What the reconciliation proved done (part of a batch) is recorded whatever happens to the rest.
  const proven = outcome.commits;
  if (job.cancelRequested) {
    return {
      to: "cancelled",
      reason: `reconciled as not processed (${r.reason}); cancelled`,
      patch: notDone,
      commits: proven,
    };
  }
  const error = job.error ?? jobError(new FleetError("OUTCOME_UNKNOWN", "outcome was unknown", { kind: "ambiguous" }));
  return { ...retryOrDead(job, error, `reconciled as not processed (${r.reason})`, p, notDone), commits: proven };
}

function succeed(job: StoredJob, value: unknown, commits: CommitWrite[], reason: string): Decision {
  const patch: JobPatch = { result: value ?? null, error: null };
  if (job.money) patch.moneyState = "done";
  return { to: "succeeded", reason, patch, commits };
}

function release(job: StoredJob, p: DecisionPolicy, reason: string): Decision {
  return { to: "retrying", reason, patch: { attempts: job.attempts - 1, dueAt: p.now }, commits: [] };
}

function rateLimited(job: StoredJob, err: FleetError, p: DecisionPolicy, extra: JobPatch): Decision {
  const wait = err.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS;
  return {
    to: "retrying",
    reason: `rate limited by the server; retry in ${wait} ms without spending an attempt`,
    patch: { ...extra, attempts: job.attempts - 1, dueAt: p.now + wait, error: jobError(err) },
    commits: [],
  };
}

function retryOrDead(job: StoredJob, error: JobError, why: string, p: DecisionPolicy, extra: JobPatch): Decision {
  if (job.attempts >= job.maxAttempts) {
    return {
      to: "dead",
      reason: `${why}; out of attempts (${job.attempts} of ${job.maxAttempts})`,
      patch: { ...extra, error },
      commits: [],
    };
  }
  const delay = backoffDelay(p.retry, job.attempts, p.random);
  return {
    to: "retrying",
    reason: `${why}; attempt ${job.attempts + 1} of ${job.maxAttempts} in ${delay} ms`,
    patch: { ...extra, error, dueAt: p.now + delay },
    commits: [],
  };
}

function toReconcile(err: FleetError, p: DecisionPolicy, reason: string): Decision {
  return {
    to: "retrying",
    reason,
    patch: {
      phase: "reconcile",
      moneyState: "unknown",
      reconcileAttempts: 0,
      dueAt: p.now + p.settleMs,
      error: jobError(err),
    },
    commits: [],
  };
}

function reconcileAgain(job: StoredJob, why: string, p: DecisionPolicy): Decision {
  const n = job.reconcileAttempts + 1;
  if (n >= p.maxReconciles) {
    const err = new FleetError(
      "OUTCOME_UNKNOWN",
      `could not prove whether ${job.task} job ${job.id} was processed after ${n} reconciliations: ${why}`,
      {
        kind: "ambiguous",
        hint: "check the server's own records before sending anything again; retry_job reconciles once more first",
        details: { firstError: job.error },
      },
    );
    return {
      to: "unknown",
      reason: `outcome unknown after ${n} reconciliations: ${why}`,
      patch: { moneyState: "unknown", reconcileAttempts: n, error: jobError(err) },
      commits: [],
    };
  }
  const delay = backoffDelay(
    { ...p.retry, baseDelayMs: p.settleMs, maxDelayMs: Math.max(p.retry.maxDelayMs, p.settleMs) },
    n,
    p.random,
  );
  return {
    to: "retrying",
    reason: `not provable yet (${why}); reconciling again in ${delay} ms`,
    patch: { reconcileAttempts: n, dueAt: p.now + delay },
    commits: [],
  };
}
