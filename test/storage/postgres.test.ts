import { describe, expect, it } from "vitest";
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
        "SELECT module, version, COUNT(*)::int AS n FROM schema_migrations GROUP BY module, version ORDER BY module",
      );
      expect(rows.map((r) => r.module)).toEqual(["fleet", "jobs", "ledger", "rate_limits", "scheduler", "tasks"]);
      for (const r of rows) expect(r.n, `${r.module} v${r.version}`).toBe(1);
      // and every process sees a working schema
      for (const s of opened) expect(await s.jobs.stateCounts()).toEqual([]);
    } finally {
      for (const s of opened) await s.close();
      await dropTestDatabase(url);
    }
  });
});
