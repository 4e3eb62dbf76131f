/**
 * Claiming due jobs, inside a BEGIN IMMEDIATE transaction the caller holds: due rows are selected by priority
 * then due time, taken oldest first, and leased to this process. A job the rate limits refuse is put off until
 * its window reopens and waits in line under the refusing key (storage/rate-limits.ts), so no younger job
 * overtakes it there. Writers on one database file are serialised, and each row moves by compare-and-set, so
 * two processes can never both claim a job. Several jobs per transaction = group commit of claims; the
 * dispatcher also claims in the transaction that commits finished jobs, for the slots they free.
 */

import type { JobPatch, StoredJob } from "../storage/jobs.js";
import { type EngineCore, mustReconcile } from "./core.js";
import { errorText } from "./job-error.js";
import { validateClaim } from "./rate-window.js";
import type { WriteScope } from "./transitions.js";
import type { QueueName, RateLimitClaim } from "./types.js";

/** extra candidates read in later rounds, to stand in for rows that expired or wait for rate-limit tokens */
const CLAIM_SLACK = 16;
const MAX_ROUNDS = 3;

export async function claimDue(
  core: EngineCore,
  scope: WriteScope,
  free: ReadonlyArray<readonly [QueueName, number]>,
  tasks: readonly string[],
): Promise<StoredJob[]> {
  const claimed: StoredJob[] = [];
  for (const [queue, slots] of free) {
    let wanted = slots;
    for (let round = 0; round < MAX_ROUNDS && wanted > 0; round++) {
      // the first round reads just what is wanted (usually every row is admitted); later ones read ahead
      const limit = round === 0 ? wanted : wanted + CLAIM_SLACK;
      const candidates = await scope.tx.jobs.claimCandidates({ queue, tasks, now: scope.now, limit });
      // of the rows due now, the oldest first (ids sort by creation): a job that waited for rate-limit tokens
      // draws before a younger one that came due a little earlier, so it is not sent to the back of its line
      candidates.sort(byPriorityThenAge);
      for (const job of candidates) {
        if (wanted === 0) break;
        const leased = await admit(core, scope, job);
        if (leased) {
          claimed.push(leased);
          wanted--;
        }
      }
      if (candidates.length < limit) break;
    }
  }
  return claimed;
}

function byPriorityThenAge(a: StoredJob, b: StoredJob): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Leases `job`, or moves it aside: expired, or rescheduled for when its rate-limit tokens refill. */
async function admit(core: EngineCore, scope: WriteScope, job: StoredJob): Promise<StoredJob | undefined> {
  const reconcile = mustReconcile(job);
  // a cancel that reached the row while its last attempt was already failing (another process's heartbeat
  // had not yet seen it) must still win; a reconcile, though, goes ahead: cancel never unsends
  if (!reconcile && job.cancelRequested) {
    await core.transitions.move(scope, job, "cancelled", "cancelled before its next attempt");
    return undefined;
  }
  if (!reconcile && job.expiresAt !== null && job.expiresAt <= scope.now) {
    await core.transitions.move(
      scope,
      job,
      "expired",
      `not started before it expired at ${new Date(job.expiresAt).toISOString()}`,
    );
    return undefined;
  }
  if (!reconcile) {
    const refusal = await takeTokens(core, scope, job);
    // another claim in flight holds the job's keys: leave it due, as it is, for the next claim (a moment later)
    if (refusal?.busy) return undefined;
    if (refusal && core.egress.isLocal(refusal.key)) {
      // this egress's per-IP budget is spent, not the job's: leave it for a process on another egress
      core.egress.spend(refusal.key, scope.now + refusal.waitMs);
      return undefined;
    }
    if (refusal) {
      // One clock reading for the whole claim (`scope.now`): the draw measured its wait from it, so the due time
      // is exactly when the window reopens, the same for every job the window refused in this claim, and their
      // line under the key (rate_waiters) keeps them in order of age from there.
      const why = refusal.behind
        ? `in line behind an older job ${refusal.behind} for rate-limit tokens (${refusal.key})`
        : `for rate-limit tokens (${refusal.key})`;
      const reason = `waiting ${refusal.waitMs} ms ${why}; no attempt spent`;
      await core.transitions.move(scope, job, job.state, reason, { dueAt: scope.now + refusal.waitMs });
      return undefined;
    }
  }
  const attempts = reconcile ? job.attempts : job.attempts + 1;
  const patch: JobPatch = {
    leaseOwner: core.ownerId,
    leaseExpiresAt: scope.now + core.leaseMs,
    startedAt: scope.now,
    phase: reconcile ? "reconcile" : "run",
    attempts,
  };
  // the claimed attempt IS the durable intent: committed before `run` can send anything
  if (job.money && !reconcile) patch.moneyState = "intent";
  const reason = reconcile
    ? `claimed by ${core.ownerId} to reconcile with the server (nothing is re-sent)`
    : `claimed by ${core.ownerId}: attempt ${attempts} of ${job.maxAttempts}`;
  return core.transitions.move(scope, job, "running", reason, patch);
}

async function takeTokens(
  core: EngineCore,
  scope: WriteScope,
  job: StoredJob,
): Promise<{ waitMs: number; key: string; behind?: string; busy?: boolean } | undefined> {
  const task = core.registry.get(job.task);
  if (!task?.rateLimits) return undefined;
  const parsed = task.args.safeParse(job.args);
  // bad args fail in the attempt itself, with the schema's message
  if (!parsed.success) return undefined;
  let claims: RateLimitClaim[];
  try {
    claims = task.rateLimits(parsed.data);
    if (claims.length === 0) return undefined;
    for (const claim of claims) validateClaim(claim);
  } catch (err) {
    core.logger.error(
      { jobId: job.id, task: job.task, err: errorText(err) },
      "rateLimits hook failed; running without the local rate limit",
    );
    return undefined;
  }
  claims = core.egress.localize(claims);
  const spent = core.egress.spentFor(claims, scope.now);
  if (spent) return spent;
  // a failed draw is a storage failure: it fails the whole claim, and the poll tries again
  const taken = await scope.tx.rateLimits.takeAll(claims, scope.now, job.id);
  return taken.ok ? undefined : taken;
}
