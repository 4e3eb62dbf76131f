/**
 * Cancel (Celery's revoke). Waiting jobs are cancelled at once; a running job is asked to stop (its signal is
 * aborted here or, in another process, when that process next polls: within `pollMs`). Cancel never "unsends":
 * a money job whose request may be on the server is reconciled first, and only a proven `not_done` ends as
 * cancelled.
 */
import { FleetError } from "../errors.js";
import type { StoredJob } from "../storage/jobs.js";
import { type EngineCore, mustReconcile } from "./core.js";
import { isTerminal } from "./state-machine.js";
import type { WriteScope } from "./transitions.js";

/** Returns the job as it now stands; ids of this process's attempts to abort are pushed to `toAbort`. */
export async function revoke(
  core: EngineCore,
  scope: WriteScope,
  job: StoredJob,
  reason: string,
  toAbort: string[],
): Promise<StoredJob> {
  const { transitions } = core;
  const jobs = scope.tx.jobs;
  const moved = (row: StoredJob | undefined) => row ?? job;
  switch (job.state) {
    case "queued":
    case "retrying":
      if (mustReconcile(job)) {
        const why = `cancel requested (${reason}); its request may have been sent, so it is reconciled first`;
        return moved(await transitions.move(scope, job, job.state, why, { cancelRequested: true }));
      }
      return moved(await transitions.move(scope, job, "cancelled", reason, { cancelRequested: true }));
    case "running": {
      const updated = await jobs.update(job, { state: "running" }, { cancelRequested: true, updatedAt: scope.now });
      if (job.phase === "run") toAbort.push(job.id);
      return moved(updated);
    }
    case "waiting": {
      const parent = moved(await transitions.move(scope, job, "cancelled", reason, { cancelRequested: true }));
      for (const listed of await jobs.members(job.id)) {
        if (isTerminal(listed.state)) continue;
        // read again, row by row: on a shared database this locks the member until the cancel commits
        const member = await jobs.get(listed.id);
        if (member && !isTerminal(member.state)) {
          await revoke(core, scope, member, `its ${job.kind} ${job.id} was cancelled`, toAbort);
        }
      }
      return parent;
    }
    default:
      throw new FleetError("CONFLICT", `job ${job.id} is already ${job.state}; only unfinished jobs can be cancelled`);
  }
}
