import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DEFAULT_CONCURRENCY } from "../../src/config.js";
import { createJobEngine, type TaskDefinition } from "../../src/jobs/index.js";
import { openPostgresStorage } from "../../src/storage/postgres/open.js";
import type { Storage } from "../../src/storage/types.js";
import { rawRows } from "../support/database.js";
import { createTestDatabase, dropTestDatabase, postgresAvailable } from "../support/postgres.js";
import { describeStorageConformance } from "./conformance.js";

describe.skipIf(!postgresAvailable)("PostgreSQL backend", () => {
  describeStorageConformance({
    name: "PostgreSQL (pool per process, SKIP LOCKED claims)",
    async create() {
      const url = await createTestDatabase();
      const opened: Storage[] = [await openPostgresStorage(url)];
      return {
        storage: opened[0] as Storage,
        async another() {
          const storage = await openPostgresStorage(url);
          opened.push(storage);
          return storage;
        },
        async cleanup() {
          for (const s of opened) await s.close();
          await dropTestDatabase(url);
        },
      };
    },
  });
});

describe.skipIf(!postgresAvailable)("PostgreSQL migrations", () => {
  it("are applied once when several processes start on a fresh database at the same moment", async () => {
    const url = await createTestDatabase();
    const opened: Storage[] = [];
    try {
      opened.push(...(await Promise.all([1, 2, 3, 4, 5].map(() => openPostgresStorage(url)))));
      const rows = await rawRows<{ module: string; version: number; n: number }>(
        opened[0] as Storage,
        "SELECT module, version, COUNT(*)::int AS n FROM schema_migrations GROUP BY module, version ORDER BY module, version",
      );
      expect(new Set(rows.map((r) => r.module))).toEqual(
        new Set(["fleet", "jobs", "lanes", "ledger", "processes", "rate_limits", "scheduler", "tasks"]),
      );
      for (const r of rows) expect(r.n, `${r.module} v${r.version}`).toBe(1);
      // and every process sees a working schema
      for (const s of opened) expect(await s.jobs.stateCounts()).toEqual([]);
    } finally {
      for (const s of opened) await s.close();
      await dropTestDatabase(url);
    }
  });
});

describe.skipIf(!postgresAvailable)("PostgreSQL wake-ups", () => {
  it("an idle process starts a job another process enqueued at once (LISTEN/NOTIFY), not at its next poll", async () => {
    const url = await createTestDatabase();
    const [a, b] = [await openPostgresStorage(url), await openPostgresStorage(url)];
    const startedAt: number[] = [];
    const idle = createJobEngine({
      storage: b,
      config: { concurrency: DEFAULT_CONCURRENCY, resultTtlMs: 3_600_000, alertWebhookUrl: undefined },
      // it never polls within the test: only a notification can wake it
      pollMs: 60_000,
    });
    const task: TaskDefinition = {
      name: "ping",
      queue: "default",
      moneyMoving: false,
      timeLimitMs: 5_000,
      retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, jitter: 0 },
      args: z.object({}),
      run: async () => {
        startedAt.push(Date.now());
        return null;
      },
    };
    idle.register(task);
    const front = createJobEngine({
      storage: a,
      config: { concurrency: DEFAULT_CONCURRENCY, resultTtlMs: 3_600_000, alertWebhookUrl: undefined },
    });
    front.register(task);
    try {
      await idle.start();
      await new Promise((r) => setTimeout(r, 500)); // listening, and its first claim found nothing
      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        const enqueuedAt = Date.now();
        const job = await front.enqueue("ping", {});
        await expect.poll(() => startedAt.length, { timeout: 5_000, interval: 2 }).toBe(i + 1);
        latencies.push((startedAt[i] as number) - enqueuedAt);
        expect((await front.wait(job.id, { timeoutMs: 5_000 })).state).toBe("succeeded");
      }
      expect(Math.max(...latencies)).toBeLessThan(1_000);
    } finally {
      await idle.stop({ graceMs: 100 });
      await a.close();
      await b.close();
      await dropTestDatabase(url);
    }
  });
});
