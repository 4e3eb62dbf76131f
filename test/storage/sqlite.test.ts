import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openSqliteStorage } from "../../src/storage/index.js";
import type { Storage } from "../../src/storage/types.js";
import { describeStorageConformance } from "./conformance.js";

describeStorageConformance({
  name: "SQLite (one file, WAL, commits synced off the event loop)",
  async create() {
    const dir = mkdtempSync(join(tmpdir(), "pf-fleet-conformance-"));
    const path = join(dir, "fleet.db");
    const opened: Storage[] = [openSqliteStorage(path)];
    return {
      storage: opened[0] as Storage,
      async another() {
        const storage = openSqliteStorage(path);
        opened.push(storage);
        return storage;
      },
      async cleanup() {
        for (const s of opened) await s.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});
