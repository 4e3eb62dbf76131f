import { describe } from "vitest";
import { openPostgresStorage } from "../../src/storage/postgres/open.js";
import type { Storage } from "../../src/storage/types.js";
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
