/** Writing an attempt's decision (and its progress) back, guarded by the lease that the attempt held. */
import { FleetError } from "../errors.js";
import { rethrowTransient } from "../storage/errors.js";
import type { StoredJob } from "../storage/jobs.js";
import type { EngineCore } from "./core.js";
import { errorText, jobError } from "./job-error.js";
import type { Decision } from "./outcome.js";
import type { WriteScope } from "./transitions.js";
import type { JobProgress } from "./types.js";

/**
 * Applies `decision` to `job` if this process still holds its lease. A success and the task's commit writes
 * (its ledger receipt) land in one savepoint: both or neither. If a commit write throws, the job is recorded as
 * failed with the result kept, and for a money job `money_state` stays `done`: the server did process it.
 * (A reconciliation's partial facts that cannot be written leave the job `unknown`: nothing is re-sent.)
 */
export async function applyDecision(
  core: EngineCore,
  scope: WriteScope,
  job: StoredJob,
  decision: Decision,
): Promise<StoredJob | undefined> {
  const expect = claimOf(core, job);
  const { transitions } = core;
  if (decision.commits.length === 0) {
    return transitions.move(scope, job, decision.to, decision.reason, decision.patch, expect);
  }
  if (scope.optimistic) {
    // no savepoint: a failing receipt throws, and the batch runs again with one savepoint per item (below)
    const moved = await transitions.move(scope, job, decision.to, decision.reason, decision.patch, expect);
    if (moved) for (const write of decision.commits) await write(scope.tx);
    return moved;
  }
  try {
    return await transitions.savepoint(scope, async (inner) => {
      const moved = await transitions.move(inner, job, decision.to, decision.reason, decision.patch, expect);
      if (moved) for (const write of decision.commits) await write(inner.tx);
      return moved;
    });
  } catch (err) {
    // a deadlock is no verdict on the receipts: the whole commit batch runs again
    rethrowTransient(err);
    const message = errorText(err);
    core.logger.error(
      { jobId: job.id, task: job.task, err: message },
      "a finished job's result could not be committed",
    );
    const error = jobError(
      new FleetError("INTERNAL", `${job.task} finished, but committing its result failed: ${message}`, {
        hint: job.money
          ? "the server processed it; its receipt is in this job's result but not in the ledger"
          : "the result is kept on the job",
      }),
    );
    if (decision.to !== "succeeded") {
      // Facts a reconciliation proved could not be recorded: nothing may be re-sent until a person looks.
      const why = "what reconciliation proved could not be recorded";
      return transitions.move(scope, job, "unknown", why, { error, moneyState: "unknown" }, expect);
    }
    const patch = {
      result: decision.patch.result ?? null,
      error,
      ...(job.money ? { moneyState: "done" as const } : {}),
    };
    return transitions.move(scope, job, "failed", "result could not be committed", patch, expect);
  }
}

/** The claim this attempt holds: a write from it lands only while that very claim stands. */
function claimOf(core: EngineCore, job: StoredJob): { leaseOwner: string; startedAt?: number } {
  return job.startedAt === null ? { leaseOwner: core.ownerId } : { leaseOwner: core.ownerId, startedAt: job.startedAt };
}

/** Progress is published to listeners but not recorded in job_events (it is not a transition). */
export async function recordProgress(
  core: EngineCore,
  scope: WriteScope,
  job: StoredJob,
  progress: JobProgress,
): Promise<void> {
  const updated = await scope.tx.jobs.update(
    job,
    { state: "running", ...claimOf(core, job) },
    { progress, updatedAt: scope.now },
  );
  if (!updated) return;
  scope.changes.push({
    job: updated,
    event: { at: scope.now, jobId: job.id, from: "running", to: "running", reason: "progress", progress },
  });
}
