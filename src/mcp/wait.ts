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
/**
 * Progress cadence while a call waits: a notification as soon as the count crosses another tenth of the total,
 * else whenever it grew and this long passed since the last one. The count is read again on every engine event
 * and at least this often, so work finished elsewhere (another process, no event here) is heard too. Nothing is
 * sent when the count did not grow: MCP requires each notification's progress to be higher than the last.
 */
const PROGRESS_STEPS = 10;
const PROGRESS_INTERVAL_MS = 2_000;

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
 * Sends progress notifications at the cadence above, only when the count grows. Reads are async, so they run one
 * after another (a slower earlier read can never overtake a later one), with at most one more queued behind the
 * one in flight: a burst of engine events (a chord of 500 bets) costs two reads, not 500.
 */
function progressReporter(
  engine: JobEngine,
  jobId: string,
  ctx: ToolContext,
  measure: (job: JobRow) => Promise<JobProgress | null>,
) {
  let lastSent = -1;
  let lastSentAt = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  // Progress a task reports arrives on events (the row may not hold it); keep the latest.
  let fromEvents: JobProgress | null = null;
  let reads: Promise<void> = Promise.resolve();
  let readQueued = false;

  const tick = () => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      void read(false);
      tick();
    }, PROGRESS_INTERVAL_MS);
    timer.unref();
  };
  const due = (done: number, total: number | undefined): boolean => {
    if (lastSent < 0 || Date.now() - lastSentAt >= PROGRESS_INTERVAL_MS) return true;
    if (!total) return false;
    return Math.floor((done * PROGRESS_STEPS) / total) > Math.floor((lastSent * PROGRESS_STEPS) / total);
  };
  const readOnce = async (force: boolean) => {
    if (stopped) return;
    const job = await engine.get(jobId);
    if (!job || stopped) return;
    const p = (await measure(job)) ?? fromEvents;
    const done = p?.done ?? (isTerminal(job) ? 1 : 0);
    if (stopped || done <= lastSent || !(force || due(done, p?.total))) return;
    lastSent = done;
    lastSentAt = Date.now();
    tick();
    void ctx.progress({
      progress: done,
      ...(p ? { total: p.total } : {}),
      message: p?.message ?? `job ${jobId} is ${job.state}${p ? `: ${p.done} of ${p.total} done` : ""}`,
    });
  };
  const read = (force: boolean): Promise<void> => {
    if (readQueued && !force) return reads;
    readQueued = true;
    // Progress is best effort: a failed read (storage closing at shutdown) skips one notification, nothing more.
    reads = reads
      .then(() => {
        readQueued = false;
        return readOnce(force);
      })
      .catch(() => undefined);
    return reads;
  };
  tick();
  return {
    reported(p: JobProgress) {
      fromEvents = p;
    },
    /** reads now and sends if the count grew, whatever the cadence (the first and the last notification) */
    sendNow(): Promise<void> {
      return read(true);
    },
    /** something moved: read again soon, send if the cadence allows */
    schedule() {
      if (!stopped) void read(false);
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
