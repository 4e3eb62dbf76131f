/**
 * Celery's `task_failure` signal: called when a job ends failed, dead or unknown. Sinks: the log (always) and a
 * webhook (when configured). An alert must never take the engine down, so every sink failure is logged and
 * swallowed.
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
}

export function createFailureHook(opts: FailureHookOptions): FailureHook {
  const send = opts.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 5_000;
  return async (failure) => {
    const fields = {
      jobId: failure.jobId,
      task: failure.task,
      queue: failure.queue,
      state: failure.state,
      attempts: failure.attempts,
      critical: failure.critical,
      error: failure.error,
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
