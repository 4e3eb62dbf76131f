import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BetRecord } from "../../src/ledger/types.js";
import { openSqliteStorage, type Storage } from "../../src/storage/index.js";
import type { Db } from "../../src/storage/sqlite/connection.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";

/**
 * A storage (migrated on open) in a real SQLite file under a fresh temp dir; `close` closes it and removes both.
 * `db` is the raw handle, for tests that read a table directly or set up a corner case.
 */
export function tempLedger(): { storage: Storage; db: Db; path: string; close(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), "pf-ledger-"));
  const path = join(dir, "ledger.db");
  const storage = openSqliteStorage(path);
  return {
    storage,
    db: sqliteDbForTests(storage),
    path,
    async close() {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** A bet receipt with plausible defaults; `payout` follows `won` and the multiplier unless given. */
export function bet(over: Partial<BetRecord> & Pick<BetRecord, "agentId" | "stake" | "won" | "placedAt">): BetRecord {
  counter++;
  const payoutMultiplier = over.payoutMultiplier ?? 1.99;
  return {
    clientSeed: `seed-${counter}`,
    betId: `bet_${counter.toString(16).padStart(8, "0")}`,
    game: "coin-flip",
    params: { side: "heads" },
    serverSeedHash: "a".repeat(64),
    nonce: counter,
    resultHash: "b".repeat(64),
    roll: 12.34,
    jobId: null,
    source: "response",
    payout: over.won ? Math.round((over.stake * Math.round(payoutMultiplier * 10_000)) / 10_000) : 0,
    ...over,
    payoutMultiplier,
  };
}

export const utc = (iso: string): number => Date.parse(iso);
