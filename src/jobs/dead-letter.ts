/** The dead-letter operations: send a finished-badly job round again, or throw it away. */
import { FleetError } from "../errors.js";
import type { JobPatch, StoredJob } from "../storage/jobs.js";
import { type EngineCore, mustReconcile } from "./core.js";
import { isTerminal } from "./state-machine.js";
import type { WriteScope } from "./transitions.js";

/**
 * dead / failed → queued with fresh attempts; unknown → reconciliation first (never a blind resend). A money
 * job that is known to have moved money cannot be retried: that would move it twice.
 */
export async function requeue(core: EngineCore, scope: WriteScope, job: StoredJob): Promise<StoredJob> {
  if (job.kind !== "task") {
    throw new FleetError("CONFLICT", `job ${job.id} is a ${job.kind}; retry its failed member instead`);
  }
  const fresh: JobPatch = {
    attempts: 0,
    reconcileAttempts: 0,
    cancelRequested: false,
    result: null,
    error: null,
    progress: null,
    startedAt: null,
    finishedAt: null,
    dueAt: scope.now,
  };
  const { transitions } = core;
  if (job.state === "unknown") {
    const reason = "retried by request: reconciling with the server before anything is re-sent";
    const patch = { ...fresh, error: job.error, phase: "reconcile" as const };
    return (await transitions.move(scope, job, "retrying", reason, patch)) ?? job;
  }
  if (job.state === "failed" || job.state === "dead") {
    if (job.money && job.moneyState === "done") {
      throw new FleetError(
        "CONFLICT",
        `job ${job.id} already moved money (money_state done); running it again would move it twice`,
        {
          hint: "enqueue a new job if another one is wanted",
        },
      );
    }
    const reconcile = mustReconcile(job);
    const reason = reconcile ? "retried by request: reconciling first" : "retried by request with fresh attempts";
    const patch = { ...fresh, phase: reconcile ? ("reconcile" as const) : ("run" as const) };
    return (await transitions.move(scope, job, "queued", reason, patch)) ?? job;
  }
  throw new FleetError("CONFLICT", `job ${job.id} is ${job.state}; only dead, failed or unknown jobs can be retried`);
}

/** Deletes a finished job (and a finished canvas's finished members). `unknown` money jobs are kept as evidence. */
export async function discard(scope: WriteScope, job: StoredJob): Promise<void> {
  const jobs = scope.tx.jobs;
  if (job.state === "unknown") {
    throw new FleetError("CONFLICT", `job ${job.id} has an unknown money outcome and is kept as evidence`, {
      hint: "retry it to reconcile with the server",
    });
  }
  if (!isTerminal(job.state)) {
    throw new FleetError("CONFLICT", `job ${job.id} is ${job.state}; cancel it before discarding`);
  }
  const parent = job.parentId === null ? undefined : await jobs.get(job.parentId);
  if (parent?.state === "waiting") {
    throw new FleetError("CONFLICT", `job ${job.id} belongs to ${parent.kind} ${parent.id}, which still waits on it`);
  }
  const members = (await jobs.members(job.id)).filter((m) => isTerminal(m.state) && m.state !== "unknown");
  await jobs.delete([job.id, ...members.map((m) => m.id)]);
}
