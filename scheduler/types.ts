/**
 * The scheduler's contract (Celery Beat + PersistentScheduler): what the server factory, the schedule tools
 * and the `schedules://list` resource may call. The storage (src/storage/schedules.ts) is the truth; a firing only
 * enqueues a durable job. Args and stakes here are task args in integer micro-USD: tools show them in USD.
 */
import type { QueueName } from "../src/config.js";
import type { JobState } from "../src/jobs/types.js";

export type CatchUpPolicy = "skip" | "latest";

/** `builtin`: shipped in defaults.ts and re-seeded at startup, so never deleted; `user`: made by create_schedule */
export type ScheduleOrigin = "builtin" | "user";

export interface Schedule {
  name: string;
  description: string;
  task: string;
  /** the task's arguments, as the operator wrote them (validated against the task's schema) */
  args: Record<string, unknown>;
  /** the queue the task is routed to (informational: the engine routes by task) */
  queue: QueueName;
  /** exactly one of `cron` and `intervalSeconds` is set */
  cron: string | null;
  intervalSeconds: number | null;
  /** IANA zone the cron expression is read in; UTC by default */
  timezone: string;
  enabled: boolean;
  /** after downtime: `skip` missed slots, or run the `latest` missed one once */
  catchUp: CatchUpPolicy;
  /** each firing's job expires this long after its slot; null = never */
  expirySeconds: number | null;
  /** the task stakes money: shipped disabled, enabled only by the operator, stated against the risk limits */
  money: boolean;
  /** slots before this instant never fire (set on creation, on enabling and on a timing change) */
  activeSince: number;
  origin: ScheduleOrigin;
  createdAt: number;
  updatedAt: number;
}

/**
 * enqueued  the job was enqueued (`jobId`)
 * skipped   the slot was missed (process down) and the policy is `skip`
 * expired   the slot was missed for longer than the firing's expiry; enqueueing it would be pointless
 * failed    the engine refused the job (e.g. arguments the task no longer accepts); `detail` says why
 */
export type FiringOutcome = "enqueued" | "skipped" | "expired" | "failed";

export interface Firing {
  name: string;
  /** the slot it fired for; null for a manual run */
  slot: number | null;
  firedAt: number;
  jobId: string | null;
  outcome: FiringOutcome;
  manual: boolean;
  detail: string | null;
}

/** What the Beat inspector shows. */
export interface ScheduleView extends Schedule {
  /** next slot, or null when disabled */
  nextRunAt: number | null;
  lastFiring: Firing | null;
  /** state of the last firing's job, if the engine still has it */
  lastJobState: JobState | null;
}

export interface SchedulePatch {
  enabled?: boolean;
  /** switches the schedule to this cron expression (clears the interval) */
  cron?: string;
  /** switches the schedule to a fixed interval, epoch-aligned (clears the cron) */
  intervalSeconds?: number;
  /** replaces the whole args object */
  args?: Record<string, unknown>;
  timezone?: string;
  catchUp?: CatchUpPolicy;
  expirySeconds?: number | null;
}

/** A schedule made from the chat (create_schedule); args are the task's own, in micro-USD. */
export interface NewSchedule {
  name: string;
  description?: string;
  task: string;
  args: Record<string, unknown>;
  /** exactly one of `cron` and `intervalSeconds` */
  cron?: string;
  intervalSeconds?: number;
  timezone?: string;
  /** default true; a schedule whose task moves money is always created disabled, whatever this says */
  enabled?: boolean;
  catchUp?: CatchUpPolicy;
  expirySeconds?: number | null;
}

export interface Clock {
  now(): number;
}

export interface SetOptions {
  /**
   * Runs on the schedule as it would be written, inside the write and before it: throw to refuse the change, and
   * nothing is written (set_schedule checks a money schedule's worst case against the risk limits here).
   */
  check?(next: Schedule): void;
}

export interface Scheduler {
  /** wakes up every second (node-cron) and ticks; idempotent */
  start(): void;
  /** stops waking up, and waits for a tick in progress */
  stop(): Promise<void>;
  list(): Promise<ScheduleView[]>;
  get(name: string): Promise<ScheduleView | undefined>;
  /** the schedule as `set` would write it; INVALID_INPUT / NOT_FOUND as `set`; writes nothing */
  preview(name: string, patch: SchedulePatch): Promise<ScheduleView>;
  /** validated first: a bad cron, timezone or args → INVALID_INPUT and nothing written */
  set(name: string, patch: SchedulePatch, opts?: SetOptions): Promise<ScheduleView>;
  /**
   * Writes a new `user` schedule, validated first (name, task, args, timing: INVALID_INPUT and nothing written);
   * a name already taken → CONFLICT. A schedule whose task moves money is written disabled.
   */
  create(draft: NewSchedule): Promise<ScheduleView>;
  /**
   * Deletes a `user` schedule and its firing history; jobs it already enqueued are kept, and no slot fires after
   * it commits. NOT_FOUND for an unknown name; FORBIDDEN for a built-in one (startup would re-seed it).
   */
  delete(name: string): Promise<Schedule>;
  /** enqueues one job now, outside the slot table, recorded as manual; a disabled money schedule → FORBIDDEN */
  runNow(name: string): Promise<Firing>;
  /** fires every enabled schedule whose latest slot ≤ `now` has not fired yet; resolves with what it recorded */
  tick(now?: number): Promise<Firing[]>;
}
