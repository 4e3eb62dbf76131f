/**
 * The health view's processes (Flower's worker list) against real pf-fleet servers on one SQLite file: each
 * running engine announces itself with its host, pid, egress and queues and keeps its heartbeat fresh; a
 * stopped one is gone; one whose heartbeat stopped (it died) reads stale, as does a lease holder without a row.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { loadConfig } from "../../src/config.js";
import { consoleHealth, type ProcessView } from "../../src/console/data/index.js";
import { DEFAULT_LEASE_MS } from "../../src/jobs/engine.js";
import { buildTaskJob } from "../../src/jobs/job-factory.js";
import { DEFAULT_HEARTBEAT_MS } from "../../src/jobs/process-heartbeat.js";
import { TASK } from "../../src/jobs/tasks/args.js";
import type { TaskDefinition } from "../../src/jobs/types.js";
import { silentLogger } from "../../src/log.js";
import { createServer, type FleetServer } from "../../src/server.js";
import { type Harness, startHarness } from "../mcp/harness.js";

let h: Harness;

const processes = async (): Promise<ProcessView[]> =>
  (await consoleHealth(h.fleet.deps, new URLSearchParams())).processes;

/** a second pf-fleet process on the same database file (sharing the first one's sandbox) */
async function secondServer(opts: { startEngine?: boolean } = {}): Promise<FleetServer> {
  const casino = h.fleet.deps.sandbox?.urls.casino;
  if (!casino) throw new Error("the harness has no embedded sandbox");
  const config = loadConfig({
    PF_DB: join(h.dir, "fleet.db"),
    PF_EGRESS_ID: "egress-b",
    PF_CONCURRENCY: "casino=3,escrow=1",
    PF_SANDBOX_URL: new URL(casino).origin,
  });
  return createServer(config, { logger: silentLogger, ...opts });
}

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.close();
});

describe("the processes of the health view", () => {
  it("shows this process's engine with its host, pid, egress and queues, and a fresh heartbeat", async () => {
    const before = Date.now();
    const [own, ...others] = await processes();
    expect(others).toEqual([]);
    const config = h.fleet.deps.config;
    expect(own).toMatchObject({
      host: hostname(),
      pid: process.pid,
      egress: config.egressId,
      mode: "sandbox",
      queues: config.concurrency,
      runs_jobs: true,
      fires_schedules: false,
      jobs_leased: 0,
      lease_expires_at: null,
      heartbeat_interval_seconds: DEFAULT_HEARTBEAT_MS / 1_000,
      status: "alive",
    });
    expect(own?.owner).toMatch(new RegExp(`^${hostname()}:${process.pid}:`));
    // written at start and refreshed every interval since
    const beat = Date.parse(own?.last_heartbeat_at as string);
    expect(before - beat).toBeLessThanOrEqual(DEFAULT_HEARTBEAT_MS + 1_000);
    expect(Date.parse(own?.started_at as string)).toBeLessThanOrEqual(beat);
  });

  it("shows a second process on the same database, and drops it once it stops", async () => {
    const [own] = await processes();
    const second = await secondServer();
    let stopped = false;
    try {
      const listed = await processes();
      expect(listed.map((p) => p.owner)).toContain(own?.owner);
      const other = listed.find((p) => p.owner !== own?.owner);
      expect(listed).toHaveLength(2);
      expect(other).toMatchObject({
        host: hostname(),
        pid: process.pid,
        egress: "egress-b",
        queues: expect.objectContaining({ casino: 3, escrow: 1 }),
        status: "alive",
      });
      await second.close();
      stopped = true;
      expect((await processes()).map((p) => p.owner)).toEqual([own?.owner]);
    } finally {
      if (!stopped) await second.close();
    }
  });

  it("shows no row for a process that runs no engine (pf-fleet dashboard)", async () => {
    const owners = (await processes()).map((p) => p.owner);
    // what `pf-fleet dashboard` builds: the console's dependencies, the engine never started
    const dashboard = await secondServer({ startEngine: false });
    try {
      expect((await processes()).map((p) => p.owner)).toEqual(owners);
    } finally {
      await dashboard.close();
    }
  });

  it("reads a process whose heartbeat stopped as stale, and a lease holder without a heartbeat row too", async () => {
    const now = Date.now();
    const row = (owner: string, silentFor: number) => ({
      owner,
      host: "gone-host",
      pid: 4242,
      egress: "egress-gone",
      mode: "sandbox",
      queues: { casino: 8 },
      runsJobs: true,
      firesSchedules: true,
      heartbeatMs: 10_000,
      startedAt: now - 3_600_000,
      lastSeenAt: now - silentFor,
    });
    const { storage } = h.fleet.deps;
    // three intervals without a beat is the limit: one just inside it, one just past it
    await storage.processes.heartbeat(row("late-host:1:aaaaaa", 25_000));
    await storage.processes.heartbeat(row("dead-host:2:bbbbbb", 31_000));
    // a running job leased by the dead process, and one by a process that never wrote a row
    const job = (owner: string) => {
      const refresh: TaskDefinition = {
        name: TASK.ledgerRefresh,
        queue: "wallet",
        moneyMoving: false,
        timeLimitMs: 60_000,
        retry: { maxAttempts: 1, baseDelayMs: 1_000, maxDelayMs: 1_000, jitter: 0 },
        args: z.object({}),
        run: async () => null,
      };
      const ghost = buildTaskJob(refresh, {}, {}, now);
      return {
        job: {
          ...ghost,
          state: "running" as const,
          attempts: 1,
          startedAt: now,
          leaseOwner: owner,
          leaseExpiresAt: now + DEFAULT_LEASE_MS,
        },
        event: { at: now, jobId: ghost.id, from: null, to: "running" as const, reason: `claimed by ${owner}` },
      };
    };
    const leased = [job("dead-host:2:bbbbbb"), job("rowless-host:3")];
    await storage.transaction(async (tx) => {
      for (const { job, event } of leased) await tx.jobs.insert(job, event);
    });
    try {
      const byOwner = new Map((await processes()).map((p) => [p.owner, p]));
      expect(byOwner.get("late-host:1:aaaaaa")?.status).toBe("alive");
      expect(byOwner.get("dead-host:2:bbbbbb")).toMatchObject({
        host: "gone-host",
        status: "stale",
        jobs_leased: 1,
        last_heartbeat_at: new Date(now - 31_000).toISOString(),
        lease_expires_at: new Date(now + DEFAULT_LEASE_MS).toISOString(),
      });
      expect(byOwner.get("rowless-host:3")).toMatchObject({
        host: null,
        pid: null,
        status: "stale",
        jobs_leased: 1,
        last_heartbeat_at: null,
      });
    } finally {
      await storage.jobs.delete(leased.map((l) => l.job.id));
      for (const owner of ["late-host:1:aaaaaa", "dead-host:2:bbbbbb"]) await storage.processes.remove(owner);
    }
  });
});
