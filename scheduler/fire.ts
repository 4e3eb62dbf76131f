import { toFleetError } from "../src/errors.js";
import type { JobEngine, JobRow } from "../src/jobs/types.js";
import type { Logger } from "../src/log.js";
import type { Storage, Tx } from "../src/storage/types.js";
import { schedulableTask } from "./catalog.js";
import { prevSlot, slotRule } from "./slots.js";
import type { Firing, FiringOutcome, Schedule } from "./types.js";

/**
 * One firing: decide what the schedule's latest slot calls for, claim it, enqueue. The claim and the job commit
 * in one storage transaction, so a crash leaves either both or neither, and the engine publishes the job only
 * once that transaction has committed (a rolled-back firing publishes nothing). The claim's key makes a second
 * process (or a second tick) a no-op.
 */

export interface FiringDeps {
  storage: Storage;
  engine: JobEngine;
  logger: Logger;
  /** a slot seen later than this after its time was missed (the process was down or stalled) */
  graceMs: number;
}

interface Plan {
  slot: number;
  outcome: Exclude<FiringOutcome, "failed">;
}

/** When a run for the slot (or manual run) at `at` stops being worth starting. */
function expiryOf(s: Schedule, at: number): number | undefined {
  return s.expirySeconds === null ? undefined : at + s.expirySeconds * 1000;
}

/** What `now` calls for, or null when the latest slot has fired, predates the schedule, or does not exist. */
export function planFiring(s: Schedule, now: number, lastSlot: number | null, graceMs: number): Plan | null {
  if (!s.enabled) return null;
  const slot = prevSlot(slotRule(s), now);
  // `> lastSlot`, not just "unclaimed": an older slot can never fire after a newer one, even once pruned
  if (slot === null || slot < s.activeSince || (lastSlot !== null && slot <= lastSlot)) return null;
  const expiresAt = expiryOf(s, slot);
  const missed = now - slot > graceMs;
  let outcome: Plan["outcome"] = "enqueued";
  if (missed && s.catchUp === "skip") outcome = "skipped";
  else if (expiresAt !== undefined && expiresAt <= now) outcome = "expired";
  return { slot, outcome };
}

/** Enqueues one run of the schedule's task for the slot (or the manual run) at `at`, inside `tx`. */
export function enqueueRun(engine: JobEngine, s: Schedule, at: number, tx: Tx): Promise<JobRow> {
  const forSlot = schedulableTask(s.task).forSlot;
  const expiresAt = expiryOf(s, at);
  return engine.enqueue(s.task, forSlot ? forSlot(s.args, at) : s.args, {
    ...(expiresAt === undefined ? {} : { expiresAt }),
    tx,
  });
}

export async function fireDue(deps: FiringDeps, s: Schedule, now: number): Promise<Firing | null> {
  const { storage, engine, logger, graceMs } = deps;
  // cheap read first: most ticks find nothing due and never open a write transaction
  const first = planFiring(s, now, await storage.schedules.lastSlot(s.name), graceMs);
  if (!first) return null;

  const firing = await storage.transaction(async (tx): Promise<Firing | null> => {
    // re-read under the write lock: another process may have fired, disabled or retimed it meanwhile
    const fresh = await tx.schedules.get(s.name);
    const plan = fresh && planFiring(fresh, now, await tx.schedules.lastSlot(s.name), graceMs);
    if (!fresh || !plan || plan.slot !== first.slot) return null;
    const claim = { name: fresh.name, slot: plan.slot, firedAt: now, outcome: plan.outcome, detail: null };
    if (!(await tx.schedules.claimSlot(claim))) return null;
    const firing: Firing = { ...claim, jobId: null, manual: false };
    if (plan.outcome !== "enqueued") return firing;
    try {
      // a savepoint: a refused enqueue undoes its own writes and leaves the claim to record why
      const job = await tx.savepoint((sp) => enqueueRun(engine, fresh, plan.slot, sp));
      firing.jobId = job.id;
      await tx.schedules.attachJob(fresh.name, plan.slot, job.id);
    } catch (err) {
      const e = toFleetError(err);
      // anything else (a busy or broken database) rolls the claim back too; a later tick tries again
      if (e.code !== "INVALID_INPUT" && e.code !== "NOT_FOUND") throw err;
      await tx.schedules.markFailed(fresh.name, plan.slot, e.message);
      firing.outcome = "failed";
      firing.detail = e.message;
    }
    return firing;
  });

  if (firing) logFiring(logger, s, firing);
  return firing;
}

function logFiring(logger: Logger, s: Schedule, f: Firing): void {
  const fields = { schedule: f.name, task: s.task, slot: new Date(f.slot as number).toISOString(), jobId: f.jobId };
  switch (f.outcome) {
    case "enqueued":
      logger.info(fields, "schedule fired");
      break;
    case "skipped":
      logger.info(fields, "schedule missed its slot while down; catch-up policy is skip");
      break;
    case "expired":
      logger.warn(fields, "schedule missed its slot by more than the firing's expiry; not enqueued");
      break;
    case "failed":
      logger.error({ ...fields, reason: f.detail }, "schedule fired but the job engine refused the job");
      break;
  }
}
