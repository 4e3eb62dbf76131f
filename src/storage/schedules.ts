/**
 * The scheduler's repository (Celery Beat's PersistentScheduler): schedules, the slots they fired for and their
 * manual runs. The Beat logic (which slot is due, catch-up, expiry) stays in scheduler/; a backend only keeps
 * rows. What makes a slot fire once across every process is `claimSlot`: one (schedule, slot) claim, taken in
 * the same transaction as the job the firing enqueues.
 */
import type { Firing, FiringOutcome, Schedule } from "../../scheduler/types.js";

/** One firing's claim on its slot; `jobId` is attached later, in the same transaction, once the job exists. */
export interface SlotClaim {
  name: string;
  /** the slot's instant, ms since epoch */
  slot: number;
  firedAt: number;
  outcome: FiringOutcome;
  detail: string | null;
}

export interface PrunedFirings {
  slots: number;
  manualRuns: number;
}

export interface ScheduleRepo {
  /** every schedule, oldest first */
  all(): Promise<Schedule[]>;
  /** the enabled schedules, by name */
  enabled(): Promise<Schedule[]>;
  get(name: string): Promise<Schedule | undefined>;
  /** true when inserted; an existing schedule of that name is left as it is (operator edits persist) */
  insertIfAbsent(schedule: Schedule): Promise<boolean>;
  /** writes the operator-editable fields (name, task, queue, money flag, origin and creation time never change) */
  update(schedule: Schedule): Promise<void>;
  /**
   * Deletes the schedule with its slot claims and manual runs (the jobs they enqueued are the engine's and stay);
   * false when there was none. The caller checks first that it may (built-in schedules are re-seeded).
   */
  delete(name: string): Promise<boolean>;
  /** the newest slot the schedule fired for (in any outcome), null if none */
  lastSlot(name: string): Promise<number | null>;
  /** claims the slot; false when some process already did (then this firing must do nothing) */
  claimSlot(claim: SlotClaim): Promise<boolean>;
  /** the job a claimed slot enqueued */
  attachJob(name: string, slot: number, jobId: string): Promise<void>;
  /** the engine refused the claimed slot's job: the slot stays used, `detail` says why */
  markFailed(name: string, slot: number, detail: string): Promise<void>;
  /** a run_schedule_now firing: outside the slot table, so it never uses up a slot */
  recordManualRun(name: string, jobId: string, firedAt: number): Promise<void>;
  /** the newest firing, slot or manual (at the same instant the manual run counts as newer) */
  lastFiring(name: string): Promise<Firing | null>;
  /**
   * Deletes slot rows and manual runs fired before `firedBefore`, but keeps each schedule's latest slot (it is
   * what stops an older slot from firing again) and its latest manual run (so `lastFiring` never goes back).
   */
  pruneSlots(firedBefore: number): Promise<PrunedFirings>;
}
