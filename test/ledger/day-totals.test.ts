import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDayTotals } from "../../src/ledger/day-totals.js";
import { recordBet } from "../../src/ledger/index.js";
import type { BetRecord } from "../../src/ledger/types.js";
import { openSqliteStorage, type Storage } from "../../src/storage/index.js";
import { type Db, migrate, openDatabase, SqliteConn } from "../../src/storage/sqlite/connection.js";
import { SqliteLedgerRepo } from "../../src/storage/sqlite/ledger.js";
import { LEDGER_MIGRATIONS } from "../../src/storage/sqlite/ledger-schema.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";
import { bet, tempLedger, utc } from "./helpers.js";

const A = "ag_aaaaaaaaaaaa";
const B = "ag_bbbbbbbbbbbb";
const DAY = 86_400_000;
const MIDNIGHT = utc("2026-11-23T00:00:00Z");

/** Σ net straight from the bets table: what the running totals must always agree with. */
function scan(db: Db, dayStart: number, agentId?: string): number {
  const where = agentId === undefined ? "" : " AND agent_id = @agentId";
  return db
    .prepare(`SELECT COALESCE(SUM(net), 0) FROM bets WHERE placed_at >= @from AND placed_at < @to${where}`)
    .pluck()
    .get({ from: dayStart, to: dayStart + DAY, agentId }) as number;
}

/** Bets of two agents either side of two midnights, won and lost. */
function spread(): BetRecord[] {
  return [
    bet({ agentId: A, stake: 1_000_000, won: false, placedAt: MIDNIGHT - 1 }),
    bet({ agentId: A, stake: 500_000, won: false, placedAt: MIDNIGHT }),
    bet({ agentId: A, stake: 250_000, won: true, payoutMultiplier: 1.98, placedAt: MIDNIGHT + 3_600_000 }),
    bet({ agentId: B, stake: 40_000, won: false, placedAt: MIDNIGHT + DAY - 1 }),
    bet({ agentId: B, stake: 70_000, won: true, payoutMultiplier: 2.5, placedAt: MIDNIGHT + DAY }),
  ];
}

async function expectTotalsMatchScan(storage: Storage): Promise<void> {
  const db = sqliteDbForTests(storage);
  const totals = createDayTotals(storage);
  for (const day of [MIDNIGHT - DAY, MIDNIGHT, MIDNIGHT + DAY]) {
    expect(await totals.fleetNet(day), `fleet ${new Date(day).toISOString()}`).toBe(scan(db, day));
    for (const agent of [A, B]) {
      expect(await totals.agentNet(agent, day), `${agent} ${new Date(day).toISOString()}`).toBe(scan(db, day, agent));
    }
  }
}

let ledger: ReturnType<typeof tempLedger>;
beforeEach(() => {
  ledger = tempLedger();
});
afterEach(() => ledger.close());

describe("the per-day realised PnL the risk checks read", () => {
  it("follows every recorded bet into its own UTC day and agent, and ignores a repeated receipt", async () => {
    const s = ledger.storage;
    const bets = spread();
    for (const b of bets) await recordBet(s, b);
    for (const b of bets) expect(await recordBet(s, b)).toEqual({ inserted: false });
    const totals = createDayTotals(s);
    // A's day: lost $0.50, won $0.25 × 0.98 = $0.245
    expect(await totals.agentNet(A, MIDNIGHT)).toBe(-500_000 + 245_000);
    expect(await totals.agentNet(A, MIDNIGHT - DAY)).toBe(-1_000_000);
    expect(await totals.fleetNet(MIDNIGHT)).toBe(-500_000 + 245_000 - 40_000);
    expect(await totals.agentNet("ag_nobetsatall", MIDNIGHT)).toBe(0);
    await expectTotalsMatchScan(s);
  });

  it("leaves nothing behind when a receipt's transaction rolls back", async () => {
    const s = ledger.storage;
    const [kept, dropped] = spread() as [BetRecord, BetRecord];
    await recordBet(s, kept);
    await expect(
      s.transaction(async (tx) => {
        await recordBet(tx, dropped);
        throw new Error("the job's completion failed");
      }),
    ).rejects.toThrow("completion failed");
    await expectTotalsMatchScan(s);
    expect(await createDayTotals(s).agentNet(A, MIDNIGHT)).toBe(0);
  });

  it("stays equal to the bets when rows are deleted or rewritten by hand", async () => {
    for (const b of spread()) await recordBet(ledger.storage, b);
    ledger.db.prepare("DELETE FROM bets WHERE agent_id = ? AND placed_at = ?").run(A, MIDNIGHT);
    ledger.db.prepare("UPDATE bets SET placed_at = placed_at + 1 WHERE agent_id = ?").run(B);
    await expectTotalsMatchScan(ledger.storage);
  });

  it("is backfilled from the bets a database already held when it is upgraded", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pf-ledger-old-"));
    const path = join(dir, "old.db");
    const db = openDatabase(path);
    try {
      // a ledger as the first release left it: only the first migration applied
      migrate(db, "ledger", LEDGER_MIGRATIONS.slice(0, 1));
      const old = { ledger: new SqliteLedgerRepo(new SqliteConn(db)) };
      for (const b of spread()) await recordBet(old, b);
    } finally {
      db.close();
    }
    const storage = openSqliteStorage(path);
    try {
      await expectTotalsMatchScan(storage);
      // …and kept from then on
      await recordBet(storage, bet({ agentId: A, stake: 10_000, won: false, placedAt: MIDNIGHT + 5 }));
      await expectTotalsMatchScan(storage);
    } finally {
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a day start that is not a UTC midnight", async () => {
    await expect(createDayTotals(ledger.storage).fleetNet(MIDNIGHT + 1)).rejects.toThrow(/UTC midnight/);
  });
});
