/**
 * PostgreSQL itself going away: tools answer a clear STORAGE_UNAVAILABLE with a hint (and write nothing), and a
 * running engine backs off and resumes once the server is back, losing no job. A cluster of its own, stopped and
 * started with pg_ctl mid-test.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobEngine, JobRow } from "../../src/jobs/index.js";
import { startSandbox } from "../../src/sandbox/index.js";
import type { RunningSandbox } from "../../src/sandbox/types.js";
import { openPostgresStorage } from "../../src/storage/postgres/open.js";
import type { Storage } from "../../src/storage/types.js";
import { plainTask, testEngine } from "../jobs/support/engine.js";
import { type Harness, ok, startHarness, toolError } from "../mcp/harness.js";
// @ts-expect-error: a plain .mjs script, shared with .ci/run
import { pgBinDir, startCluster, stopCluster } from "../support/pg-cluster.mjs";

interface Cluster {
  url: string;
  dir: string;
  bin: string;
}

function pgCtl(cluster: Cluster, action: "stop" | "start"): void {
  const args = ["-D", join(cluster.dir, "data"), "-l", join(cluster.dir, "server.log"), "-w"];
  if (action === "stop") args.push("-m", "fast");
  const cmd = join(cluster.bin, "pg_ctl");
  const root = process.getuid?.() === 0;
  execFileSync(root ? "runuser" : cmd, root ? ["-u", "postgres", "--", cmd, ...args, action] : [...args, action], {
    stdio: "ignore",
  });
}

/** a sandbox on four consecutive ports, as PF_SANDBOX_URL expects of a shared `pf-fleet sandbox` */
async function sharedSandbox(): Promise<RunningSandbox> {
  for (let tries = 0; ; tries++) {
    try {
      return await startSandbox({ port: 20_000 + Math.floor(Math.random() * 30_000), rateLimits: false });
    } catch (err) {
      if (tries > 20) throw err;
    }
  }
}

describe.skipIf(!pgBinDir())("PostgreSQL outage", () => {
  let cluster: Cluster;
  let sandbox: RunningSandbox;

  beforeAll(async () => {
    cluster = (await startCluster()) as Cluster;
    sandbox = await sharedSandbox();
  });
  afterAll(async () => {
    await sandbox?.close();
    if (cluster) stopCluster(cluster.dir);
  });

  it("tools answer STORAGE_UNAVAILABLE with a hint while the database is down, and work again once it is back", async () => {
    const h: Harness = await startHarness(
      { PF_DB: cluster.url, PF_SANDBOX_URL: sandbox.controlUrl, PF_SECRET_KEY: "5e".repeat(32) },
      { startEngine: false },
    );
    try {
      ok(await h.call("queue_stats"));
      pgCtl(cluster, "stop");
      try {
        const err = toolError(await h.call("queue_stats"));
        expect(err.code).toBe("STORAGE_UNAVAILABLE");
        expect(err.hint).toMatch(/PostgreSQL is down or unreachable/);
        expect(err.message).not.toMatch(/password/);
      } finally {
        pgCtl(cluster, "start");
      }
      // the pool drops the dead connections and opens new ones
      await expect.poll(async () => !(await h.call("queue_stats")).isError, { timeout: 10_000 }).toBe(true);
    } finally {
      await h.close();
    }
  });

  it("an engine running jobs backs off while the database is down and finishes every job once it is back", async () => {
    const storage: Storage = await openPostgresStorage(cluster.url);
    const ran: number[] = [];
    const engine: JobEngine = testEngine(storage, { leaseMs: 1_500 });
    engine.register(
      plainTask<{ n?: number }>("slow", async ({ args }) => {
        ran.push(args.n ?? -1);
        await new Promise((r) => setTimeout(r, 20));
        return null;
      }),
    );
    try {
      const jobs: JobRow[] = [];
      for (let n = 0; n < 40; n++) jobs.push(await engine.enqueue("slow", { n }));
      await engine.start();
      await expect.poll(() => ran.length, { timeout: 10_000, interval: 5 }).toBeGreaterThanOrEqual(5);
      pgCtl(cluster, "stop");
      await new Promise((r) => setTimeout(r, 1_000));
      pgCtl(cluster, "start");

      const states = async () =>
        (await Promise.all(jobs.map((j) => engine.get(j.id).catch(() => undefined)))).map((j) => j?.state);
      await expect
        .poll(async () => (await states()).every((s) => s === "succeeded"), { timeout: 30_000, interval: 100 })
        .toBe(true);
      // none lost; a job whose completion was in flight when the server went away may have run again (its
      // lease ran out: at-least-once, as Celery's acks_late), never more than those that were running
      expect(new Set(ran).size).toBe(40);
      expect(ran.length - 40).toBeLessThanOrEqual(8);
    } finally {
      await engine.stop({ graceMs: 100 });
      await storage.close();
    }
  });
});
