/** Flower-style numbers per queue: counts by state, throughput, and runtimes of recent attempts. */
import { QUEUE_NAMES } from "../config.js";
import type { JobRepo } from "../storage/jobs.js";
import type { QueueName, QueueStats } from "./types.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export async function queueStats(
  jobs: JobRepo,
  concurrency: Record<QueueName, number>,
  now: number,
): Promise<QueueStats[]> {
  const counts = await jobs.stateCounts();
  const runs = await jobs.finishedSince(now - HOUR);
  return QUEUE_NAMES.map((queue) => {
    const count = (state: string) => counts.find((c) => c.queue === queue && c.state === state)?.count ?? 0;
    const recent = runs.filter((r) => r.queue === queue);
    const runtimes = recent.map((r) => Math.max(0, r.runtimeMs)).sort((a, b) => a - b);
    return {
      queue,
      concurrency: concurrency[queue],
      queued: count("queued"),
      running: count("running"),
      retrying: count("retrying"),
      succeeded: count("succeeded"),
      failed: count("failed"),
      dead: count("dead"),
      unknown: count("unknown"),
      throughputPerMinute: recent.filter((r) => r.finishedAt >= now - MINUTE).length,
      throughputPerHour: recent.length,
      runtimeMs: { p50: percentile(runtimes, 0.5), p95: percentile(runtimes, 0.95), max: runtimes.at(-1) ?? null },
    };
  });
}

/** nearest-rank percentile of sorted values */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length)));
  return sorted[rank - 1] ?? null;
}
