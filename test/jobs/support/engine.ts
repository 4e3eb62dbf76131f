import { z } from "zod";
import { FleetError } from "../../../src/errors.js";
import {
  type Clock,
  createJobEngine,
  type JobEngine,
  type JobEngineOptions,
  type JobRow,
  type JobState,
  type TaskDefinition,
} from "../../../src/jobs/index.js";
import type { Storage } from "../../../src/storage/types.js";

export const CONCURRENCY = { casino: 4, escrow: 2, wallet: 2, analytics: 2, default: 4 };

/** An engine with test-speed timings; everything else as in production. */
export function testEngine(
  storage: Storage,
  opts: Partial<Omit<JobEngineOptions, "storage" | "config">> & {
    alertWebhookUrl?: string;
    resultTtlMs?: number;
    concurrency?: Partial<typeof CONCURRENCY>;
  } = {},
): JobEngine {
  const { alertWebhookUrl, resultTtlMs, concurrency, ...rest } = opts;
  return createJobEngine({
    storage,
    config: {
      concurrency: { ...CONCURRENCY, ...concurrency },
      resultTtlMs: resultTtlMs ?? 86_400_000,
      alertWebhookUrl,
    },
    pollMs: 10,
    sweepMs: 20,
    commitWindowMs: 2,
    settleMs: 100,
    ...rest,
  });
}

export const fastRetry = { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000, jitter: 0 };

/** A plain task whose behaviour each test supplies; `calls` counts runs. */
export function plainTask<A = { n?: number }>(
  name: string,
  run: TaskDefinition<A, unknown>["run"],
  extra: Partial<TaskDefinition<A, unknown>> = {},
): TaskDefinition<A, unknown> {
  return {
    name,
    queue: "default",
    moneyMoving: false,
    timeLimitMs: 60_000,
    retry: fastRetry,
    args: z.object({ n: z.number().optional() }) as unknown as z.ZodType<A>,
    run,
    ...extra,
  };
}

/** A plain task with its own argument schema. */
export function taskWithArgs<A>(
  name: string,
  args: z.ZodType<A>,
  run: TaskDefinition<A, unknown>["run"],
  extra: Partial<TaskDefinition<A, unknown>> = {},
): TaskDefinition<A, unknown> {
  return { name, queue: "default", moneyMoving: false, timeLimitMs: 60_000, retry: fastRetry, args, run, ...extra };
}

export function unavailable(message = "upstream down"): FleetError {
  return new FleetError("UPSTREAM_UNAVAILABLE", message);
}

/**
 * Resolves with the job's row once `predicate` holds (checked on every event and by polling, so transitions
 * made by other processes count too). Fails after `withinMs` of real time with the row as it stands.
 */
export function until(engine: JobEngine, id: string, predicate: (job: JobRow) => boolean, withinMs = 10_000) {
  return new Promise<JobRow>((resolve, reject) => {
    const check = () => {
      engine.get(id).then((job) => {
        if (job && predicate(job)) {
          stop();
          resolve(job);
        }
      }, reject);
    };
    const off = engine.on((job) => {
      if (job.id === id) check();
    });
    const poll = setInterval(check, 5);
    const timeout = setTimeout(async () => {
      stop();
      const job = await engine.get(id);
      reject(new Error(`job ${id} did not reach the expected state; it is ${JSON.stringify(job)}`));
    }, withinMs);
    const stop = () => {
      off();
      clearInterval(poll);
      clearTimeout(timeout);
    };
    check();
  });
}

export const inState = (engine: JobEngine, id: string, state: JobState, withinMs?: number) =>
  until(engine, id, (job) => job.state === state, withinMs);

export type { Clock };
