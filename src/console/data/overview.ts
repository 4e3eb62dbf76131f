/** `GET /api/overview`: the console's header and counters (the lead adds the CSRF token). */
import type { Mode } from "../../config.js";
import type { FleetDeps } from "../../deps.js";
import type { JobState, QueueName } from "../../jobs/types.js";
import { pauseView } from "../../mcp/risk-view.js";

type CountedState =
  | "queued"
  | "running"
  | "retrying"
  | "waiting"
  | "succeeded"
  | "failed"
  | "dead"
  | "unknown"
  | "cancelled"
  | "expired";

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
  counts: Record<CountedState, number>;
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
  const counts: Record<CountedState, number> = {
    queued: 0,
    running: 0,
    retrying: 0,
    waiting: 0,
    succeeded: 0,
    failed: 0,
    dead: 0,
    unknown: 0,
    cancelled: 0,
    expired: 0,
  };
  const add = (state: JobState, n: number) => {
    if (state in counts) counts[state as CountedState] += n;
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
