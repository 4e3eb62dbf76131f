import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Db, openDatabase } from "../../../src/db.js";

export interface TempDb {
  db: Db;
  path: string;
  dir: string;
  cleanup(): void;
}

/** A real SQLite file in a fresh temp dir. */
export function tempDb(): TempDb {
  const dir = mkdtempSync(join(tmpdir(), "pf-fleet-jobs-"));
  const path = join(dir, "fleet.db");
  const db = openDatabase(path);
  return {
    db,
    path,
    dir,
    cleanup() {
      if (db.open) db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
