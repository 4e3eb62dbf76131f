/**
 * Turns (task, args, options) into a job row, or an INVALID_INPUT error before anything is written
 * (invariant 6: bad input touches nothing).
 */
import { z } from "zod";
import { FleetError } from "../errors.js";
import type { JobKind, StoredJob } from "../storage/jobs.js";
import { newJobId } from "./job-id.js";
import type { EnqueueOptions, JobState, QueueName, TaskDefinition } from "./types.js";

const MAX_PRIORITY = 1_000;

/** where a job sits in a canvas */
export interface Placement {
  parentId: string;
  canvasId: string;
  canvasIndex: number;
}

/** Validates the args against the task's schema; returns the parsed value. */
export function parseArgs<A>(task: TaskDefinition<A>, args: unknown): A {
  const parsed = task.args.safeParse(args);
  if (!parsed.success) {
    throw new FleetError("INVALID_INPUT", `invalid args for task \`${task.name}\`: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}

export function validateOptions(opts: EnqueueOptions): void {
  const fail = (what: string) => {
    throw new FleetError("INVALID_INPUT", what);
  };
  if (opts.priority !== undefined && !(Number.isInteger(opts.priority) && Math.abs(opts.priority) <= MAX_PRIORITY)) {
    fail(`priority must be an integer from -${MAX_PRIORITY} to ${MAX_PRIORITY}, got \`${opts.priority}\``);
  }
  if (opts.maxAttempts !== undefined && !(Number.isInteger(opts.maxAttempts) && opts.maxAttempts >= 1)) {
    fail(`maxAttempts must be an integer ≥ 1, got \`${opts.maxAttempts}\``);
  }
  for (const field of ["dueAt", "expiresAt"] as const) {
    const value = opts[field];
    if (value !== undefined && !Number.isFinite(value)) fail(`${field} must be ms since epoch, got \`${value}\``);
  }
}

/** A validated, not yet stored, row for a task job. */
export function buildTaskJob(
  task: TaskDefinition,
  args: unknown,
  opts: EnqueueOptions,
  now: number,
  placement?: Placement,
): StoredJob {
  validateOptions(opts);
  const parsed = parseArgs(task, args);
  const dueAt = opts.dueAt ?? now;
  const expiresAt = opts.expiresAt ?? (task.expiresAfterMs === undefined ? null : now + task.expiresAfterMs);
  if (expiresAt !== null && expiresAt <= dueAt) {
    throw new FleetError(
      "INVALID_INPUT",
      `expiresAt (${new Date(expiresAt).toISOString()}) must be later than the due time (${new Date(dueAt).toISOString()})`,
    );
  }
  const idempotencyKey = task.idempotencyKey ? task.idempotencyKey(parsed) : null;
  return newRow({
    kind: "task",
    task: task.name,
    queue: task.queue,
    state: "queued",
    // stored as given: schemas may transform (USD → micros), and parsing a parsed value twice is not safe
    args: jsonClone(args),
    priority: opts.priority ?? 0,
    maxAttempts: opts.maxAttempts ?? task.retry.maxAttempts,
    money: task.moneyMoving,
    idempotencyKey,
    parentId: placement?.parentId ?? opts.parentId ?? null,
    canvasId: placement?.canvasId ?? opts.canvasId ?? null,
    canvasIndex: placement?.canvasIndex ?? null,
    dueAt,
    expiresAt,
    now,
  });
}

/** The parent row of a group, chord or chain; it waits on its members and holds the canvas spec in `args`. */
export function buildCanvasJob(kind: Exclude<JobKind, "task">, queue: QueueName, spec: unknown, now: number) {
  return newRow({ kind, task: kind, queue, state: "waiting", args: jsonClone(spec), priority: 0, maxAttempts: 1, now });
}

interface NewRow {
  kind: JobKind;
  task: string;
  queue: QueueName;
  state: JobState;
  args: unknown;
  priority: number;
  maxAttempts: number;
  money?: boolean;
  idempotencyKey?: string | null;
  parentId?: string | null;
  canvasId?: string | null;
  canvasIndex?: number | null;
  dueAt?: number;
  expiresAt?: number | null;
  now: number;
}

function newRow(r: NewRow): StoredJob {
  return {
    id: newJobId(),
    task: r.task,
    queue: r.queue,
    kind: r.kind,
    state: r.state,
    priority: r.priority,
    args: r.args,
    result: null,
    error: null,
    attempts: 0,
    maxAttempts: r.maxAttempts,
    money: r.money ?? false,
    moneyState: null,
    phase: "run",
    reconcileAttempts: 0,
    cancelRequested: false,
    idempotencyKey: r.idempotencyKey ?? null,
    parentId: r.parentId ?? null,
    canvasId: r.canvasId ?? null,
    canvasIndex: r.canvasIndex ?? null,
    callbackId: null,
    deadlineAt: null,
    openMembers: null,
    progress: null,
    createdAt: r.now,
    updatedAt: r.now,
    dueAt: r.dueAt ?? r.now,
    expiresAt: r.expiresAt ?? null,
    startedAt: null,
    finishedAt: null,
    leaseOwner: null,
    leaseExpiresAt: null,
    mcpTask: null,
  };
}

function jsonClone(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value ?? null)) as unknown;
  } catch (err) {
    throw new FleetError("INVALID_INPUT", `args must be plain JSON: ${(err as Error).message}`);
  }
}
