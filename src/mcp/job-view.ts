import { z } from "zod";
import type { JobEvent, JobRow } from "../jobs/types.js";
import { redactSecrets } from "../log.js";

/**
 * How a job looks to a tool caller or a resource reader: snake_case, ISO times, errors with their code and
 * hint. Args and results never hold keys (src/jobs/tasks/args.ts); error text is redacted all the same.
 */

const iso = z.string().nullable();

export const jobErrorShape = z
  .object({ code: z.string(), message: z.string(), hint: z.string().optional(), retryable: z.boolean() })
  .nullable();

export const jobProgressShape = z
  .object({ done: z.number(), total: z.number(), message: z.string().optional() })
  .nullable();

export const jobShape = z.object({
  id: z.string(),
  task: z.string(),
  queue: z.string(),
  state: z
    .string()
    .describe("queued, running, retrying, succeeded, failed, dead, cancelled, expired, unknown, waiting"),
  priority: z.number(),
  attempts: z.number(),
  max_attempts: z.number(),
  money_state: z.string().nullable().describe("money jobs: intent, done, not_done or unknown"),
  parent_id: z.string().nullable(),
  canvas_id: z.string().nullable(),
  progress: jobProgressShape,
  error: jobErrorShape,
  args: z.unknown(),
  result: z.unknown(),
  created_at: z.string(),
  due_at: z.string(),
  started_at: iso,
  finished_at: iso,
});
export type JobView = z.infer<typeof jobShape>;

export const jobEventShape = z.object({
  at: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  reason: z.string(),
});

const time = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function jobView(job: JobRow): JobView {
  return {
    id: job.id,
    task: job.task,
    queue: job.queue,
    state: job.state,
    priority: job.priority,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    money_state: job.moneyState,
    parent_id: job.parentId,
    canvas_id: job.canvasId,
    progress: job.progress,
    error: job.error
      ? {
          code: job.error.code as string,
          message: redactSecrets(String(job.error.message)),
          ...(typeof job.error.hint === "string" ? { hint: job.error.hint } : {}),
          retryable: Boolean(job.error.retryable),
        }
      : null,
    args: job.args,
    result: job.result ?? null,
    created_at: new Date(job.createdAt).toISOString(),
    due_at: new Date(job.dueAt).toISOString(),
    started_at: time(job.startedAt),
    finished_at: time(job.finishedAt),
  };
}

export function eventView(e: JobEvent) {
  return { at: new Date(e.at).toISOString(), from: e.from, to: e.to, reason: redactSecrets(e.reason) };
}

/** One line for text summaries: `job_123 casino.bet succeeded (2/5 attempts)`. */
export function jobLine(job: JobRow): string {
  const progress = job.progress ? `, ${job.progress.done}/${job.progress.total} done` : "";
  const error = job.error ? ` — ${job.error.code}: ${redactSecrets(String(job.error.message))}` : "";
  return `${job.id} ${job.task} ${job.state} (attempt ${job.attempts}/${job.maxAttempts}${progress})${error}`;
}
