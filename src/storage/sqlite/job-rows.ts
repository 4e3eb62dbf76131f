/** Mapping between `StoredJob` fields and the columns of the `jobs` table. */
import type { StoredJob } from "../jobs.js";

type Codec = "plain" | "json" | "bool";

/** field → [column, how the value is stored]; JSON columns hold args, result, error and progress */
export const JOB_COLUMNS: { readonly [F in keyof StoredJob]-?: readonly [string, Codec] } = {
  id: ["id", "plain"],
  task: ["task", "plain"],
  queue: ["queue", "plain"],
  kind: ["kind", "plain"],
  state: ["state", "plain"],
  priority: ["priority", "plain"],
  args: ["args", "json"],
  result: ["result", "json"],
  error: ["error", "json"],
  attempts: ["attempts", "plain"],
  maxAttempts: ["max_attempts", "plain"],
  money: ["money", "bool"],
  moneyState: ["money_state", "plain"],
  phase: ["phase", "plain"],
  reconcileAttempts: ["reconcile_attempts", "plain"],
  cancelRequested: ["cancel_requested", "bool"],
  idempotencyKey: ["idempotency_key", "plain"],
  parentId: ["parent_id", "plain"],
  canvasId: ["canvas_id", "plain"],
  canvasIndex: ["canvas_index", "plain"],
  callbackId: ["callback_id", "plain"],
  deadlineAt: ["deadline_at", "plain"],
  openMembers: ["open_members", "plain"],
  progress: ["progress", "json"],
  createdAt: ["created_at", "plain"],
  updatedAt: ["updated_at", "plain"],
  dueAt: ["due_at", "plain"],
  expiresAt: ["expires_at", "plain"],
  startedAt: ["started_at", "plain"],
  finishedAt: ["finished_at", "plain"],
  leaseOwner: ["lease_owner", "plain"],
  leaseExpiresAt: ["lease_expires_at", "plain"],
};

const FIELDS = Object.keys(JOB_COLUMNS) as Array<keyof StoredJob>;

export function encodeValue(field: keyof StoredJob, value: unknown): unknown {
  const [, codec] = JOB_COLUMNS[field];
  if (codec === "bool") return value ? 1 : 0;
  if (codec === "json") return value === undefined || value === null ? null : JSON.stringify(value);
  return value === undefined ? null : value;
}

export function decodeJob(record: Record<string, unknown>): StoredJob {
  const job: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const [column, codec] = JOB_COLUMNS[field];
    const raw = record[column];
    if (codec === "bool") job[field] = raw === 1;
    else if (codec === "json") job[field] = raw === null || raw === undefined ? null : JSON.parse(raw as string);
    else job[field] = raw ?? null;
  }
  return job as unknown as StoredJob;
}

/**
 * `a = ?, b = ?, …` for an UPDATE's SET, its parameters in that order, and the patched fields as a read of the
 * row would return them (JSON columns parsed back from what is stored, so a caller's copy is exactly what
 * another reader sees).
 */
export function encodePatch(patch: Record<string, unknown>): {
  assignments: string;
  params: unknown[];
  values: Record<string, unknown>;
} {
  let assignments = "";
  const params: unknown[] = [];
  const values: Record<string, unknown> = {};
  for (const field in patch) {
    const value = patch[field];
    if (value === undefined) continue;
    const spec = JOB_COLUMNS[field as keyof StoredJob];
    if (!spec) throw new Error(`unknown job field \`${field}\``);
    const [column, codec] = spec;
    const stored = encodeValue(field as keyof StoredJob, value);
    assignments += `${assignments ? ", " : ""}${column} = ?`;
    params.push(stored);
    if (codec === "json") values[field] = stored === null ? null : JSON.parse(stored as string);
    else values[field] = codec === "bool" ? stored === 1 : stored;
  }
  return { assignments, params, values };
}

/** Every column of a job row; `insertValues` gives the values in this order. */
export const INSERT_JOB_SQL = `INSERT INTO jobs (${FIELDS.map((f) => JOB_COLUMNS[f][0]).join(", ")})
  VALUES (${FIELDS.map(() => "?").join(", ")})`;

export function insertValues(job: StoredJob): unknown[] {
  return FIELDS.map((field) => encodeValue(field, job[field]));
}
