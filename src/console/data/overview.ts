/** `GET /api/overview`: the console's header and counters (the lead adds the CSRF token). */
import type { Mode } from "../../config.js";
import type { FleetDeps } from "../../deps.js";
import { JOB_STATES, type JobState, type QueueName } from "../../jobs/types.js";
import { pauseView } from "../../mcp/risk-view.js";

export interface QueueView {
  queue: QueueName;
  concurrency: number;
  queued: number;
  running: number;
  retrying: number;
  succeeded: number;
  failed: number;
  dead: number;
  unknown: number;
  per_minute: number;
  per_hour: number;
  p50_ms: number | null;
  p95_ms: number | null;
}

export interface Overview {
  generated_at: string;
  mode: Mode;
  trading: { fleet_paused: boolean; reason: string | null; paused_agents: string[] };
  /** task jobs by state; `waiting` counts the canvases (groups, chords, chains) still waiting on members */
  counts: Record<JobState, number>;
  queues: QueueView[];
}

export async function consoleOverview(
  deps: Pick<FleetDeps, "mode" | "engine" | "fleet" | "storage">,
): Promise<Overview> {
  const [trading, stats, tasks, canvases] = await Promise.all([
    pauseView(deps),
    deps.engine.stats(),
    deps.storage.jobs.stateCounts("task"),
    deps.storage.jobs.stateCounts("canvas"),
  ]);
  await deps.storage.settled();
  const counts = Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as Record<JobState, number>;
  const add = (state: JobState, n: number) => {
    counts[state] += n;
  };
  for (const c of tasks) add(c.state, c.count);
  for (const c of canvases) if (c.state === "waiting") add(c.state, c.count);
  return {
    generated_at: new Date().toISOString(),
    mode: deps.mode,
    trading,
    counts,
    queues: stats.map((q) => ({
      queue: q.queue,
      concurrency: q.concurrency,
      queued: q.queued,
      running: q.running,
      retrying: q.retrying,
      succeeded: q.succeeded,
      failed: q.failed,
      dead: q.dead,
      unknown: q.unknown,
      per_minute: q.throughputPerMinute,
      per_hour: q.throughputPerHour,
      p50_ms: q.runtimeMs.p50,
      p95_ms: q.runtimeMs.p95,
    })),
  };
}
