/**
 * `GET /api/health`: throughput, failures and queue depth over the last hour or day, rate-limit state per key, and
 * the fleet's processes (processes.ts). Series are bucketed here from one bounded read of task jobs
 * (`jobs.activity`).
 */
import type { FleetDeps } from "../../deps.js";
import { FleetError } from "../../errors.js";
import type { JobActivity } from "../../storage/jobs.js";
import { type ProcessView, processViews } from "./processes.js";
import { keyMeaning, LONGEST_WINDOW_MS } from "./rate-limit-keys.js";
import { iso } from "./views.js";

export type HealthWindow = "hour" | "day";

const WINDOWS: Record<HealthWindow, { buckets: number; bucketSeconds: number }> = {
  hour: { buckets: 60, bucketSeconds: 60 },
  day: { buckets: 48, bucketSeconds: 1_800 },
};

/** task jobs read for the charts, newest first: a day of a very busy fleet is sampled, never read whole */
export const ACTIVITY_LIMIT = 20_000;

const FAILED = new Set(["failed", "dead", "unknown"]);
const WAITING = new Set(["queued", "retrying"]);

export interface HealthSeries {
  /** bucket starts, epoch seconds */
  t: number[];
  succeeded: number[];
  /** failed + dead + unknown */
  failed: number[];
  /** waiting (queued or retrying) at the bucket's end */
  queued: number[];
  running: number[];
}

export interface RateLimitView {
  key: string;
  scope: "agent" | "egress" | "fleet";
  agent_id: string | null;
  egress: string | null;
  used: number;
  /** null for a key this version does not draw (its limit is not known here) */
  limit: number | null;
  window_seconds: number | null;
  /** when the oldest call in the window leaves it (a slot frees up); null when none is in it */
  resets_at: string | null;
  /** jobs the store holds in line under this key (refused by it, still due to run) */
  waiting_jobs: number;
}

export interface Health {
  window: HealthWindow;
  bucket_seconds: number;
  /** true when the window held more task jobs than ACTIVITY_LIMIT: the oldest were left out */
  sampled: boolean;
  series: HealthSeries;
  rate_limits: RateLimitView[];
  processes: ProcessView[];
}

export async function consoleHealth(deps: Pick<FleetDeps, "storage">, query: URLSearchParams): Promise<Health> {
  const window = windowOf(query);
  const { buckets, bucketSeconds } = WINDOWS[window];
  const bucketMs = bucketSeconds * 1_000;
  // the clock the job rows were stamped with (several machines share the database)
  const now = await deps.storage.databaseTime();
  const start = (Math.floor(now / bucketMs) + 1 - buckets) * bucketMs;
  const [activity, usage, holders, processes] = await Promise.all([
    deps.storage.jobs.activity(start, ACTIVITY_LIMIT),
    deps.storage.rateLimits.usage(now - LONGEST_WINDOW_MS),
    deps.storage.jobs.leaseHolders(),
    deps.storage.processes.list(),
  ]);
  await deps.storage.settled();
  return {
    window,
    bucket_seconds: bucketSeconds,
    sampled: activity.length >= ACTIVITY_LIMIT,
    series: bucketed(activity, start, bucketMs, buckets, now),
    rate_limits: usage.map((u) => {
      const meaning = keyMeaning(u.key);
      return {
        key: u.key,
        scope: meaning.scope,
        agent_id: meaning.agentId,
        egress: meaning.egress,
        used: u.used,
        limit: meaning.limit,
        window_seconds: meaning.windowMs === null ? null : meaning.windowMs / 1_000,
        resets_at: u.oldestAt === null ? null : iso(u.oldestAt + (meaning.windowMs ?? LONGEST_WINDOW_MS)),
        waiting_jobs: u.waiting,
      };
    }),
    processes: processViews(processes, holders, now),
  };
}

function windowOf(query: URLSearchParams): HealthWindow {
  for (const name of query.keys()) {
    if (name !== "window") {
      throw new FleetError("INVALID_INPUT", `unknown parameter \`${name.slice(0, 60)}\``, {
        hint: "the health view takes only window=hour|day",
      });
    }
  }
  const w = query.get("window");
  if (w === null || w === "") return "hour";
  if (w === "hour" || w === "day") return w;
  throw new FleetError("INVALID_INPUT", `window must be \`hour\` or \`day\`, got \`${w.slice(0, 60)}\``, {
    hint: "hour: 60 buckets of a minute; day: 48 of half an hour",
  });
}

/**
 * Finished jobs are counted in the bucket they finished in. Depth is read at each bucket's end (or now, for the
 * current one) from the rows' times: a job is running from its latest start to its end, and waiting from its
 * creation to its start. A row only keeps its latest attempt, so a job waiting for a retry counts as waiting
 * since its creation: depth is an estimate, throughput is exact (within ACTIVITY_LIMIT).
 */
export function bucketed(rows: readonly JobActivity[], start: number, bucketMs: number, n: number, now: number) {
  const series: HealthSeries = {
    t: Array.from({ length: n }, (_, i) => (start + i * bucketMs) / 1_000),
    succeeded: new Array(n).fill(0),
    failed: new Array(n).fill(0),
    queued: new Array(n).fill(0),
    running: new Array(n).fill(0),
  };
  const ends = series.t.map((t) => Math.min(t * 1_000 + bucketMs, now));
  const before = (at: number | null, end: number) => at !== null && at <= end;
  for (const r of rows) {
    if (r.finishedAt !== null && r.finishedAt >= start) {
      const i = Math.floor((r.finishedAt - start) / bucketMs);
      if (i >= 0 && i < n) {
        if (r.state === "succeeded") (series.succeeded[i] as number)++;
        else if (FAILED.has(r.state)) (series.failed[i] as number)++;
      }
    }
    const startedAt = WAITING.has(r.state) ? null : r.startedAt;
    ends.forEach((end, i) => {
      if (r.createdAt > end || before(r.finishedAt, end)) return;
      if (before(startedAt, end)) (series.running[i] as number)++;
      else (series.queued[i] as number)++;
    });
  }
  return series;
}
