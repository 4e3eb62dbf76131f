/**
 * Listeners for every transition and progress update this process makes or sees committed (tools turn them
 * into MCP progress notifications and resource updates), and `wait`, which also polls the row so it sees jobs
 * that other processes finish.
 */
import { FleetError } from "../errors.js";
import type { Logger } from "../log.js";
import type { Clock } from "./clock.js";
import { errorText } from "./job-error.js";
import { isTerminal } from "./state-machine.js";
import type { JobEvent, JobListener, JobRow } from "./types.js";

export class JobEvents {
  readonly #listeners = new Set<JobListener>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  on(listener: JobListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(job: JobRow, event: JobEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(job, event);
      } catch (err) {
        this.#logger.warn({ jobId: job.id, err: errorText(err) }, "job listener threw");
      }
    }
  }
}

export interface WaitDeps {
  events: JobEvents;
  clock: Clock;
  pollMs: number;
  read(id: string): Promise<JobRow | undefined>;
}

/**
 * Resolves when the job is terminal, or at `timeoutMs` (engine clock) with the row as it stands. Listens before
 * the first read, so a job that finishes in between is not missed; the poll covers other processes' work.
 */
export function waitForJob(
  deps: WaitDeps,
  id: string,
  opts: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<JobRow> {
  return new Promise<JobRow>((resolve, reject) => {
    let settled = false;
    const finish = (settle: () => void) => {
      if (settled) return;
      settled = true;
      off();
      clearInterval(poll);
      timer?.cancel();
      opts.signal?.removeEventListener("abort", onAbort);
      settle();
    };
    const missing = () => reject(notFound(id));
    const check = (always = false) => {
      deps.read(id).then(
        (row) => {
          if (!row) finish(missing);
          else if (always || isTerminal(row.state)) finish(() => resolve(row));
        },
        (err: unknown) => finish(() => reject(err)),
      );
    };
    const off = deps.events.on((job) => {
      if (job.id === id && isTerminal(job.state)) finish(() => resolve(job));
    });
    const poll = setInterval(() => check(), deps.pollMs);
    poll.unref();
    const timer = opts.timeoutMs === undefined ? undefined : deps.clock.setTimeout(() => check(true), opts.timeoutMs);
    const onAbort = () => finish(() => reject(new FleetError("CANCELLED", `stopped waiting for job ${id}`)));
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener("abort", onAbort, { once: true });
    check();
  });
}

export function notFound(id: string): FleetError {
  return new FleetError("NOT_FOUND", `no job with id \`${id}\``, { hint: "it may have been discarded or pruned" });
}
