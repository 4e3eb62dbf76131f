/**
 * Lets a tool wait a bounded time for a job (or a group/chord/chain) to finish while the MCP request is open.
 * Long work never holds a call past `wait_seconds`: the tool answers with the job id and what is done so far,
 * and the job keeps running. Engine events become MCP progress notifications while we wait.
 */
import type { FleetDeps } from "../deps.js";
import { FleetError } from "../errors.js";
import { type JobEngine, type JobProgress, type JobRow, TERMINAL_STATES } from "../jobs/types.js";
import { MAX_WAIT_SECONDS } from "./schemas.js";
import type { ToolContext } from "./tool.js";

export interface AwaitJobOptions {
  /** 0–50; 0 returns the current row at once */
  waitSeconds: number;
  ctx: ToolContext;
  /** cancel the job when the client aborts the request (default: keep it running) */
  cancelOnAbort?: boolean;
  /** progress in the tool's own unit (bets of a batch, not its jobs); default: jobProgress */
  progressOf?: (job: JobRow) => Promise<JobProgress | null>;
}

export interface AwaitedJob {
  job: JobRow;
  /** the job reached a terminal state */
  finished: boolean;
  /** finished members / total for a canvas, the task's own progress for a single job */
  progress: JobProgress | null;
  /** the client aborted the request before the job finished */
  aborted: boolean;
  /** we cancelled the job because the request was aborted and `cancelOnAbort` was set */
  cancelled: boolean;
}

/** Canvases larger than this report progress from their own row only; counting members would be too costly. */
const MAX_MEMBERS_COUNTED = 2_000;
/** Engine events arrive in bursts (a chord of 500 bets); one notification per burst is enough. */
const PROGRESS_COALESCE_MS = 100;

export function isTerminal(job: JobRow): boolean {
  return TERMINAL_STATES.includes(job.state);
}

export async function awaitJob(
  deps: Pick<FleetDeps, "engine">,
  jobId: string,
  opts: AwaitJobOptions,
): Promise<AwaitedJob> {
  const { engine } = deps;
  const { ctx } = opts;
  const measure = opts.progressOf ?? ((job: JobRow) => jobProgress(engine, job));
  const initial = await engine.get(jobId);
  if (!initial) throw new FleetError("NOT_FOUND", `no job with id \`${jobId}\``, { hint: "list_jobs shows job ids" });
  if (isTerminal(initial) || opts.waitSeconds <= 0) {
    return {
      job: initial,
      finished: isTerminal(initial),
      progress: await measure(initial),
      aborted: false,
      cancelled: false,
    };
  }

  const reporter = progressReporter(engine, jobId, ctx, measure);
  const unsubscribe = engine.on((job, event) => {
    if (job.id === jobId && event.progress) reporter.reported(event.progress);
    if (job.id === jobId || job.canvasId === jobId || job.parentId === jobId) reporter.schedule();
  });
  // The caller hears at once where the job stands, then as it moves, then once more at the end.
  void reporter.sendNow();

  let onAbort: (() => void) | undefined;
  const aborted = new Promise<"aborted">((resolve) => {
    if (ctx.signal.aborted) return resolve("aborted");
    onAbort = () => resolve("aborted");
    ctx.signal.addEventListener("abort", onAbort, { once: true });
  });
  const timeoutMs = Math.min(opts.waitSeconds, MAX_WAIT_SECONDS) * 1000;
  try {
    const outcome = await Promise.race([
      engine.wait(jobId, { timeoutMs, signal: ctx.signal }).then(
        () => "settled" as const,
        (err: unknown) => {
          // The engine may reject its wait on our abort; that is the abort branch, not a failure.
          if (ctx.signal.aborted) return "aborted" as const;
          throw err;
        },
      ),
      aborted,
    ]);
    let job = (await engine.get(jobId)) ?? initial;
    let cancelled = false;
    const wasAborted = outcome === "aborted" && !isTerminal(job);
    if (wasAborted && opts.cancelOnAbort) {
      job = await engine.cancel(jobId, "the MCP request that started it was cancelled");
      cancelled = true;
    }
    return { job, finished: isTerminal(job), progress: await measure(job), aborted: wasAborted, cancelled };
  } finally {
    unsubscribe();
    // The last notification goes out before the answer; nothing is sent after it.
    await reporter.sendNow();
    reporter.stop();
    if (onAbort) ctx.signal.removeEventListener("abort", onAbort);
  }
}

/**
 * A job's progress: the row's own (tasks and canvases that report it), else for a canvas parent the share of
 * its members that are terminal.
 */
export async function jobProgress(engine: JobEngine, job: JobRow): Promise<JobProgress | null> {
  if (job.progress) return job.progress;
  const members: JobRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await engine.list({ canvasId: job.id, limit: 500, ...(cursor ? { cursor } : {}) });
    members.push(...page.jobs.filter((m) => m.id !== job.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor && members.length < MAX_MEMBERS_COUNTED);
  if (members.length === 0 || cursor) return null;
  return { done: members.filter(isTerminal).length, total: members.length };
}

/**
 * Sends progress notifications, coalesced, and only when the count grows (MCP requires it to increase). Reads
 * are async, so sends run one after another: a slower earlier read can never overtake a later one.
 */
function progressReporter(
  engine: JobEngine,
  jobId: string,
  ctx: ToolContext,
  measure: (job: JobRow) => Promise<JobProgress | null>,
) {
  let timer: NodeJS.Timeout | undefined;
  let lastSent = -1;
  let stopped = false;
  // Progress a task reports arrives on events (the row may not hold it); keep the latest.
  let fromEvents: JobProgress | null = null;
  let sending: Promise<void> = Promise.resolve();
  const sendOnce = async () => {
    if (stopped) return;
    const job = await engine.get(jobId);
    if (!job || stopped) return;
    const p = (await measure(job)) ?? fromEvents;
    const done = p?.done ?? (isTerminal(job) ? 1 : 0);
    if (stopped || done <= lastSent) return;
    lastSent = done;
    void ctx.progress({
      progress: done,
      ...(p ? { total: p.total } : {}),
      message: p?.message ?? `job ${jobId} is ${job.state}${p ? `: ${p.done} of ${p.total} done` : ""}`,
    });
  };
  const send = (): Promise<void> => {
    timer = undefined;
    // Progress is best effort: a failed read (storage closing at shutdown) skips one notification, nothing more.
    sending = sending.then(sendOnce).catch(() => undefined);
    return sending;
  };
  return {
    reported(p: JobProgress) {
      fromEvents = p;
    },
    sendNow(): Promise<void> {
      if (timer) clearTimeout(timer);
      return send();
    },
    schedule() {
      if (!stopped && !timer) timer = setTimeout(send, PROGRESS_COALESCE_MS);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}

/** "still running: job id X, 3 of 10 done" — the sentence every waiting tool ends with when time runs out. */
export function pendingSummary(a: AwaitedJob): string {
  const done = a.progress ? `, ${a.progress.done} of ${a.progress.total} done` : "";
  if (a.cancelled) return `cancelled: job id ${a.job.id}${done}`;
  return `still running: job id ${a.job.id} (${a.job.state})${done}; check it with job_status or subscribe to jobs://${a.job.id}`;
}
