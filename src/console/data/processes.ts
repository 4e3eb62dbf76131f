/**
 * The processes of `GET /api/health` (Flower's worker list): every process whose engine keeps a heartbeat row,
 * alive or gone silent, with the leases it holds. A process that holds leases but has no row (it stopped while a
 * job outlived its grace period, or its row was pruned) is listed too, as stale: its leases will expire and be
 * recovered by another process.
 */
import { STALE_AFTER_BEATS } from "../../jobs/process-heartbeat.js";
import type { LeaseHolder } from "../../storage/jobs.js";
import type { ProcessRow } from "../../storage/processes.js";
import { iso } from "./views.js";

export interface ProcessView {
  /** the engine's owner id, as on the leases of the jobs it runs */
  owner: string;
  /** null for a lease holder without a heartbeat row (below, the same) */
  host: string | null;
  pid: number | null;
  egress: string | null;
  mode: string | null;
  /** concurrency per queue */
  queues: Record<string, number> | null;
  runs_jobs: boolean | null;
  fires_schedules: boolean | null;
  jobs_leased: number;
  started_at: string | null;
  last_heartbeat_at: string | null;
  heartbeat_interval_seconds: number | null;
  /** the newest expiry among its leases; null when it holds none */
  lease_expires_at: string | null;
  /** stale: no heartbeat for more than 3 intervals (stuck, cut off from the database, or dead) */
  status: "alive" | "stale";
}

export function processViews(rows: readonly ProcessRow[], holders: readonly LeaseHolder[], now: number): ProcessView[] {
  const leases = new Map(holders.map((h) => [h.owner, h]));
  const known = rows.map((r): ProcessView => {
    const lease = leases.get(r.owner);
    return {
      owner: r.owner,
      host: r.host,
      pid: r.pid,
      egress: r.egress,
      mode: r.mode,
      queues: r.queues,
      runs_jobs: r.runsJobs,
      fires_schedules: r.firesSchedules,
      jobs_leased: lease?.jobs ?? 0,
      started_at: iso(r.startedAt),
      last_heartbeat_at: iso(r.lastSeenAt),
      heartbeat_interval_seconds: r.heartbeatMs / 1_000,
      lease_expires_at: iso(lease?.leaseExpiresAt),
      status: now - r.lastSeenAt > STALE_AFTER_BEATS * r.heartbeatMs ? "stale" : "alive",
    };
  });
  const owners = new Set(rows.map((r) => r.owner));
  const unknown = holders
    .filter((h) => !owners.has(h.owner))
    .map(
      (h): ProcessView => ({
        owner: h.owner,
        host: null,
        pid: null,
        egress: null,
        mode: null,
        queues: null,
        runs_jobs: null,
        fires_schedules: null,
        jobs_leased: h.jobs,
        started_at: null,
        last_heartbeat_at: null,
        heartbeat_interval_seconds: null,
        lease_expires_at: iso(h.leaseExpiresAt),
        status: "stale",
      }),
    );
  return [...known, ...unknown];
}
