/**
 * The `jobs` table's columns, the same in both backends, and how a row becomes a `StoredJob`. Only how a flag
 * is stored differs: 0/1 in SQLite, a boolean in PostgreSQL; each backend's job-rows.ts encodes its own.
 */
import type { StoredJob } from "./jobs.js";

export type Codec = "plain" | "json" | "bool";

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
  mcpTask: ["mcp_task", "json"],
};

export const JOB_FIELDS = Object.keys(JOB_COLUMNS) as Array<keyof StoredJob>;

export function decodeJob(record: Record<string, unknown>): StoredJob {
  const job: Record<string, unknown> = {};
  for (const field of JOB_FIELDS) {
    const [column, codec] = JOB_COLUMNS[field];
    const raw = record[column];
    if (codec === "bool") job[field] = raw === true || raw === 1;
    else if (codec === "json") job[field] = raw === null || raw === undefined ? null : JSON.parse(raw as string);
    else job[field] = raw ?? null;
  }
  return job as unknown as StoredJob;
}
