/** One job as every console list shows it (`JobItem` in src/console/API.md). */
import type { JobProgress, JobState, MoneyState, QueueName } from "../../jobs/types.js";
import { redactSecrets } from "../../log.js";
import type { JobKind, StoredJob } from "../../storage/jobs.js";
import type { BatchSummary } from "./batch-summary.js";
import { type ErrorView, errorView, iso } from "./views.js";

export interface ProgressView {
  done: number;
  total: number;
  message: string | null;
}

export interface JobItem {
  id: string;
  task: string;
  queue: QueueName;
  state: JobState;
  money_state: MoneyState | null;
  kind: JobKind;
  agent_id: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  runtime_ms: number | null;
  attempts: number;
  max_attempts: number;
  progress: ProgressView | null;
  error: ErrorView | null;
  parent_id: string | null;
  canvas_id: string | null;
  batch: BatchSummary | null;
}

export function jobItem(job: StoredJob, batch: BatchSummary | null = null): JobItem {
  // a canvas is never claimed: its run is from its creation to its end
  const start = job.kind === "task" ? job.startedAt : job.createdAt;
  return {
    id: job.id,
    task: job.task,
    queue: job.queue,
    state: job.state,
    money_state: job.moneyState,
    kind: job.kind,
    agent_id: agentOf(job),
    created_at: iso(job.createdAt) as string,
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
    runtime_ms: start !== null && job.finishedAt !== null ? Math.max(0, job.finishedAt - start) : null,
    attempts: job.attempts,
    max_attempts: job.maxAttempts,
    progress: progressView(job.progress),
    error: errorView(job.error),
    parent_id: job.parentId,
    canvas_id: job.canvasId,
    batch,
  };
}

export function progressView(p: JobProgress | null): ProgressView | null {
  if (!p) return null;
  return { done: p.done, total: p.total, message: p.message === undefined ? null : redactSecrets(p.message) };
}

/**
 * The agent a job acts for: `args.agentId`, a chain's first step's, or the only one of `args.agentIds`. A group or
 * chord names none itself (its members do: the jobs list filters canvases by their members' agents).
 */
export function agentOf(job: Pick<StoredJob, "args">): string | null {
  const args = job.args as { agentId?: unknown; agentIds?: unknown; steps?: Array<{ args?: unknown }> } | null;
  if (typeof args?.agentId === "string") return args.agentId;
  if (Array.isArray(args?.agentIds) && args.agentIds.length === 1 && typeof args.agentIds[0] === "string") {
    return args.agentIds[0];
  }
  const first = Array.isArray(args?.steps) ? args.steps[0]?.args : undefined;
  if (first && typeof first === "object" && "agentId" in first && typeof first.agentId === "string") {
    return first.agentId;
  }
  return null;
}
