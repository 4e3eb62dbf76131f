/**
 * Celery's `task_failure` signal: called when a job ends failed, dead or unknown. Sinks: the log (always) and a
 * webhook (when configured). An alert must never take the engine down, so every sink failure is logged and
 * swallowed. One alert per condition: the same failure again within ALERT_REPEAT_MS is logged at info level and
 * counted, not alerted (per process).
 */
import type { Logger } from "../log.js";
import { errorText, type JobError } from "./job-error.js";
import type { QueueName } from "./types.js";

export interface JobFailure {
  jobId: string;
  task: string;
  queue: QueueName;
  state: "failed" | "dead" | "unknown";
  error: JobError | null;
  /** the task is flagged critical (escrow release, faucet claim): someone should look now */
  critical: boolean;
  attempts: number;
  at: number;
}

export type FailureHook = (failure: JobFailure) => Promise<void>;

export interface FailureHookOptions {
  logger: Logger;
  webhookUrl?: string | undefined;
  fetch?: typeof fetch;
  /** per webhook POST; default 5 s */
  timeoutMs?: number;
  /** the same condition alerts again only after this long; default ALERT_REPEAT_MS (24 h) */
  repeatAfterMs?: number;
}

/** A condition alerted on is not alerted on again within this long; later repeats are counted instead. */
export const ALERT_REPEAT_MS = 24 * 3_600_000;
/** conditions remembered at most (the oldest is forgotten first) */
const MAX_CONDITIONS = 1_000;

/**
 * What makes two failures "the same condition": the same task ending the same way (state, code, upstream code),
 * for the same job — or, when the error names a `details.condition` (the faucet's per-IP refusal), for every job
 * that meets it. A job retried every 5 minutes into the same refusal is one condition, not one per tick.
 */
export function alertCondition(failure: JobFailure): string {
  const e = failure.error;
  const condition = (e?.details as { condition?: unknown } | undefined)?.condition;
  const scope = typeof condition === "string" ? `condition:${condition}` : `job:${failure.jobId}`;
  return [failure.task, failure.state, e?.code ?? "", e?.upstream_code ?? "", scope].join("|");
}

export function createFailureHook(opts: FailureHookOptions): FailureHook {
  const send = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  const repeatMs = opts.repeatAfterMs ?? ALERT_REPEAT_MS;
  /** condition → when it was last alerted on, and the repeats since */
  const alerted = new Map<string, { at: number; repeats: number }>();
  return async (failure) => {
    const condition = alertCondition(failure);
    const last = alerted.get(condition);
    if (last && failure.at - last.at < repeatMs) {
      last.repeats += 1;
      opts.logger.info(
        { jobId: failure.jobId, task: failure.task, state: failure.state, repeats: last.repeats },
        `task ${failure.task} ended ${failure.state} again (same condition as an alert at ${new Date(last.at).toISOString()}; not alerted again)`,
      );
      return;
    }
    alerted.delete(condition);
    alerted.set(condition, { at: failure.at, repeats: 0 });
    if (alerted.size > MAX_CONDITIONS) alerted.delete(alerted.keys().next().value as string);
    const fields = {
      jobId: failure.jobId,
      task: failure.task,
      queue: failure.queue,
      state: failure.state,
      attempts: failure.attempts,
      critical: failure.critical,
      error: failure.error,
      ...(last ? { repeatsSinceLastAlert: last.repeats } : {}),
    };
    if (failure.critical) opts.logger.error(fields, `critical task ${failure.task} ended ${failure.state}`);
    else opts.logger.warn(fields, `task ${failure.task} ended ${failure.state}`);
    if (!opts.webhookUrl) return;
    try {
      const response = await send(opts.webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ event: "task_failure", ...fields, at: new Date(failure.at).toISOString() }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) {
        opts.logger.warn({ jobId: failure.jobId, status: response.status }, "failure webhook answered with an error");
      }
    } catch (err) {
      opts.logger.warn({ jobId: failure.jobId, err: errorText(err) }, "failure webhook could not be delivered");
    }
  };
}
