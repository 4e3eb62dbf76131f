import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Db, migrate, openDatabase } from "../../src/db.js";
import { createDayTotals } from "../../src/ledger/day-totals.js";
import { LEDGER_MIGRATIONS, migrateLedger, recordBet } from "../../src/ledger/index.js";
import type { BetRecord } from "../../src/ledger/types.js";
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

function expectTotalsMatchScan(db: Db): void {
  const totals = createDayTotals(db);
  for (const day of [MIDNIGHT - DAY, MIDNIGHT, MIDNIGHT + DAY]) {
    expect(totals.fleetNet(day), `fleet ${new Date(day).toISOString()}`).toBe(scan(db, day));
    for (const agent of [A, B]) {
      expect(totals.agentNet(agent, day), `${agent} ${new Date(day).toISOString()}`).toBe(scan(db, day, agent));
    }
  }
}

let ledger: ReturnType<typeof tempLedger>;
beforeEach(() => {
  ledger = tempLedger();
});
afterEach(() => ledger.close());

describe("the per-day realised PnL the risk checks read", () => {
  it("follows every recorded bet into its own UTC day and agent, and ignores a repeated receipt", () => {
    const bets = spread();
    for (const b of bets) recordBet(ledger.db, b);
    for (const b of bets) expect(recordBet(ledger.db, b)).toEqual({ inserted: false });
    const totals = createDayTotals(ledger.db);
    // A's day: lost $0.50, won $0.25 × 0.98 = $0.245
    expect(totals.agentNet(A, MIDNIGHT)).toBe(-500_000 + 245_000);
    expect(totals.agentNet(A, MIDNIGHT - DAY)).toBe(-1_000_000);
    expect(totals.fleetNet(MIDNIGHT)).toBe(-500_000 + 245_000 - 40_000);
    expect(totals.agentNet("ag_nobetsatall", MIDNIGHT)).toBe(0);
    expectTotalsMatchScan(ledger.db);
  });

  it("leaves nothing behind when a receipt's transaction rolls back", () => {
    const [kept, dropped] = spread() as [BetRecord, BetRecord];
    recordBet(ledger.db, kept);
    expect(() =>
      ledger.db.transaction(() => {
        recordBet(ledger.db, dropped);
        throw new Error("the job's completion failed");
      })(),
    ).toThrow("completion failed");
    expectTotalsMatchScan(ledger.db);
    expect(createDayTotals(ledger.db).agentNet(A, MIDNIGHT)).toBe(0);
  });

  it("stays equal to the bets when rows are deleted or rewritten by hand", () => {
    for (const b of spread()) recordBet(ledger.db, b);
    ledger.db.prepare("DELETE FROM bets WHERE agent_id = ? AND placed_at = ?").run(A, MIDNIGHT);
    ledger.db.prepare("UPDATE bets SET placed_at = placed_at + 1 WHERE agent_id = ?").run(B);
    expectTotalsMatchScan(ledger.db);
  });

  it("is backfilled from the bets a database already held when it is upgraded", () => {
    const dir = mkdtempSync(join(tmpdir(), "pf-ledger-old-"));
    const db = openDatabase(join(dir, "old.db"));
    try {
      // a ledger as the first release left it: only the first migration applied
      migrate(db, "ledger", LEDGER_MIGRATIONS.slice(0, 1));
      for (const b of spread()) recordBet(db, b);
      migrateLedger(db);
      expectTotalsMatchScan(db);
      // …and kept from then on
      recordBet(db, bet({ agentId: A, stake: 10_000, won: false, placedAt: MIDNIGHT + 5 }));
      expectTotalsMatchScan(db);
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a day start that is not a UTC midnight", () => {
    expect(() => createDayTotals(ledger.db).fleetNet(MIDNIGHT + 1)).toThrow(/UTC midnight/);
  });
});
