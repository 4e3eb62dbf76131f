/**
 * `GET /api/jobs/:id`: one job with its args and result in USD, every state change, its attempts (read from the
 * events: each claim into `running` is an attempt, ended by the next move out of it) and its canvas.
 */
import type { FleetDeps } from "../../deps.js";
import { isTerminal } from "../../jobs/index.js";
import type { JobEvent, JobState } from "../../jobs/types.js";
import { redactSecrets } from "../../log.js";
import type { StoredJob } from "../../storage/jobs.js";
import { batchSummaries } from "./batch-summary.js";
import { type JobItem, jobItem, type ProgressView, progressView } from "./job-item.js";
import { iso, MAX_LIST, moneyView } from "./views.js";

export interface JobRef {
  /** null for a chain step not enqueued yet */
  id: string | null;
  task: string;
  /** "pending" for a chain step not enqueued yet */
  state: JobState | "pending";
  progress: ProgressView | null;
}

export interface EventView {
  at: string;
  from: JobState | null;
  to: JobState;
  reason: string;
}

export interface AttemptView {
  attempt: number;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  /** the state the attempt ended in (succeeded, retrying, failed, …), or `running` while it runs */
  outcome: string;
}

export interface CanvasView {
  parent: JobRef | null;
  /** the first MAX_LIST members in canvas order (a chord's callback last) */
  members: JobRef[];
  members_total: number;
  next_step: JobRef | null;
}

export interface JobDetail {
  job: JobItem & {
    args: unknown;
    result: unknown;
    events: EventView[];
    attempts_detail: AttemptView[];
    canvas: CanvasView | null;
    actions: { retry: boolean; cancel: boolean };
  };
}

export async function consoleJobDetail(deps: Pick<FleetDeps, "storage">, id: string): Promise<JobDetail | undefined> {
  const jobs = deps.storage.jobs;
  const job = await jobs.get(id);
  if (!job) return undefined;
  const events = await jobs.events(id);
  const batches = await batchSummaries(deps, [job]);
  const canvas = await canvasOf(deps, job);
  await deps.storage.settled();
  return {
    job: {
      ...jobItem(job, batches.get(job.id) ?? null),
      args: moneyView(job.args),
      result: job.result === null || job.result === undefined ? null : moneyView(job.result),
      events: events.map((e) => ({ at: iso(e.at) as string, from: e.from, to: e.to, reason: redactSecrets(e.reason) })),
      attempts_detail: attemptsOf(events),
      canvas,
      actions: { retry: canRetry(job), cancel: !isTerminal(job.state) },
    },
  };
}

/** Each move into `running` starts an attempt; the next move out of `running` ends it, in that state. */
export function attemptsOf(events: readonly JobEvent[]): AttemptView[] {
  const attempts: AttemptView[] = [];
  let open: { at: number; view: AttemptView } | undefined;
  for (const e of events) {
    if (e.to === "running" && e.from !== "running") {
      open = {
        at: e.at,
        view: {
          attempt: attempts.length + 1,
          started_at: iso(e.at) as string,
          ended_at: null,
          duration_ms: null,
          outcome: "running",
        },
      };
      attempts.push(open.view);
    } else if (open && e.from === "running" && e.to !== "running") {
      open.view.ended_at = iso(e.at);
      open.view.duration_ms = Math.max(0, e.at - open.at);
      open.view.outcome = e.to;
      open = undefined;
    }
  }
  return attempts;
}

/** what the engine's retry accepts (src/jobs/dead-letter.ts): a task that is dead, failed or unknown, and did not move money */
function canRetry(job: StoredJob): boolean {
  if (job.kind !== "task") return false;
  if (job.state === "unknown") return true;
  return (job.state === "failed" || job.state === "dead") && !(job.money && job.moneyState === "done");
}

async function canvasOf(deps: Pick<FleetDeps, "storage">, job: StoredJob): Promise<CanvasView | null> {
  const jobs = deps.storage.jobs;
  const canvasId = job.kind === "task" ? job.parentId : job.id;
  if (canvasId === null) return null;
  const parent = job.kind === "task" ? await jobs.get(canvasId) : job;
  if (!parent) return null;
  const members = await jobs.members(canvasId, MAX_LIST);
  return {
    parent: job.kind === "task" ? refOf(parent) : null,
    members: members.map(refOf),
    members_total: membersTotal(parent, members.length),
    next_step: parent.kind === "chain" ? nextStep(parent, job, members) : null,
  };
}

function refOf(j: StoredJob): JobRef {
  return { id: j.id, task: j.task, state: j.state, progress: progressView(j.progress) };
}

/** group/chord: their size (plus a chord's callback once it exists); a chain: its steps */
function membersTotal(parent: StoredJob, listed: number): number {
  const args = parent.args as { size?: unknown; steps?: unknown[] } | null;
  if (parent.kind === "chain") return Array.isArray(args?.steps) ? args.steps.length : listed;
  const size = typeof args?.size === "number" ? args.size : listed;
  return size + (parent.callbackId === null ? 0 : 1);
}

/**
 * The step after `job` (a member), or after the chain's last enqueued step (the chain itself). A step not enqueued
 * yet is shown from the chain's plan, without an id.
 */
function nextStep(chain: StoredJob, job: StoredJob, members: readonly StoredJob[]): JobRef | null {
  const steps = (chain.args as { steps?: Array<{ task: string }> } | null)?.steps ?? [];
  const after = job.kind === "task" ? (job.canvasIndex ?? 0) : members.length - 1;
  const index = after + 1;
  if (index >= steps.length) return null;
  const row = members.find((m) => m.canvasIndex === index);
  if (row) return refOf(row);
  const planned = steps[index];
  return planned ? { id: null, task: planned.task, state: "pending", progress: null } : null;
}
