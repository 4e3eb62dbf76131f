import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_SCHEDULES } from "../../scheduler/defaults.js";
import { scheduleFromSeed } from "../../scheduler/patch.js";
import type { Schedule } from "../../scheduler/types.js";
import { openSqliteStorage } from "../../src/storage/index.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";
import type { Storage } from "../../src/storage/types.js";
import { tempDbPath, utc } from "./support/fixtures.js";

/** The schedule repository on its own (no job engine): what the scheduler's exactly-once and pruning rest on. */

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

const T0 = utc("2025-03-03T00:00:00Z");
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function seed(name: string, at = T0): Schedule {
  const s = DEFAULT_SCHEDULES.find((d) => d.name === name);
  if (!s) throw new Error(`no default schedule ${name}`);
  return scheduleFromSeed(s, at);
}

async function open(path?: string): Promise<{ storage: Storage; path: string }> {
  let dbPath = path;
  if (!dbPath) {
    const tmp = tempDbPath();
    dbPath = tmp.path;
    cleanups.push(async () => tmp.cleanup());
  }
  const storage = openSqliteStorage(dbPath);
  cleanups.unshift(() => storage.close());
  return { storage, path: dbPath };
}

const claim = (name: string, slot: number, firedAt = slot) => ({
  name,
  slot,
  firedAt,
  outcome: "enqueued" as const,
  detail: null,
});

function rows(storage: Storage, sql: string, ...params: unknown[]): unknown[] {
  return sqliteDbForTests(storage)
    .prepare(sql)
    .pluck()
    .all(...params);
}

describe("the schedule repository", () => {
  it("keeps a schedule as written; a second insert of the name leaves the operator's edits alone", async () => {
    const { storage } = await open();
    const hourly = seed("hourly-crash-batch");
    expect(await storage.schedules.insertIfAbsent(hourly)).toBe(true);
    expect(await storage.schedules.get("hourly-crash-batch")).toEqual(hourly);
    const edited: Schedule = { ...hourly, enabled: true, cron: "30 * * * *", updatedAt: T0 + HOUR };
    await storage.schedules.update(edited);
    expect(await storage.schedules.insertIfAbsent(seed("hourly-crash-batch", T0 + DAY))).toBe(false);
    expect(await storage.schedules.get("hourly-crash-batch")).toEqual(edited);
    expect((await storage.schedules.enabled()).map((s) => s.name)).toEqual(["hourly-crash-batch"]);
    expect(await storage.schedules.get("nope")).toBeUndefined();
  });

  it("lets one claim of a slot win across processes, and a rolled-back claim leaves the slot free", async () => {
    const a = await open();
    const b = await open(a.path);
    await a.storage.schedules.insertIfAbsent(seed("wallet-balance-check"));
    const slot = T0 + 5 * 60_000;

    const boom = new Error("the enqueue failed after the claim");
    await expect(
      a.storage.transaction(async (tx) => {
        expect(await tx.schedules.claimSlot(claim("wallet-balance-check", slot))).toBe(true);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(await b.storage.schedules.lastSlot("wallet-balance-check")).toBeNull();

    const won = await a.storage.transaction(async (tx) => {
      const ok = await tx.schedules.claimSlot(claim("wallet-balance-check", slot));
      if (ok) await tx.schedules.attachJob("wallet-balance-check", slot, "job_a");
      return ok;
    });
    const lost = await b.storage.transaction((tx) => tx.schedules.claimSlot(claim("wallet-balance-check", slot)));
    expect([won, lost]).toEqual([true, false]);
    expect(await b.storage.schedules.lastSlot("wallet-balance-check")).toBe(slot);
    expect(await b.storage.schedules.lastFiring("wallet-balance-check")).toEqual({
      name: "wallet-balance-check",
      slot,
      firedAt: slot,
      jobId: "job_a",
      outcome: "enqueued",
      manual: false,
      detail: null,
    });
  });

  it("shows the newest firing, slot or manual, and a refused one with its reason", async () => {
    const { storage } = await open();
    await storage.schedules.insertIfAbsent(seed("daily-ledger-refresh"));
    expect(await storage.schedules.lastFiring("daily-ledger-refresh")).toBeNull();
    const slot = T0 + HOUR;
    await storage.schedules.claimSlot(claim("daily-ledger-refresh", slot));
    await storage.schedules.markFailed("daily-ledger-refresh", slot, "unknown task `ledger.refresh`");
    expect(await storage.schedules.lastFiring("daily-ledger-refresh")).toMatchObject({
      slot,
      outcome: "failed",
      detail: "unknown task `ledger.refresh`",
      jobId: null,
    });
    // a manual run at the same instant counts as the newer one
    await storage.schedules.recordManualRun("daily-ledger-refresh", "job_manual", slot);
    expect(await storage.schedules.lastFiring("daily-ledger-refresh")).toEqual({
      name: "daily-ledger-refresh",
      slot: null,
      firedAt: slot,
      jobId: "job_manual",
      outcome: "enqueued",
      manual: true,
      detail: null,
    });
    // a manual run never uses up a slot
    expect(await storage.schedules.lastSlot("daily-ledger-refresh")).toBe(slot);
  });

  it("prunes slots and manual runs fired before the cutoff, keeping each schedule's latest slot and manual run", async () => {
    const { storage } = await open();
    for (const name of ["daily-ledger-refresh", "wallet-balance-check", "daily-pnl-summary"]) {
      await storage.schedules.insertIfAbsent(seed(name));
    }
    // ten days of daily slots and manual runs for one schedule; one old slot and one old manual run for another
    for (let day = 0; day < 10; day++) {
      await storage.schedules.claimSlot(claim("daily-ledger-refresh", T0 + day * DAY + HOUR));
      await storage.schedules.recordManualRun("daily-ledger-refresh", `job_${day}`, T0 + day * DAY + 2 * HOUR);
    }
    await storage.schedules.claimSlot(claim("wallet-balance-check", T0));
    await storage.schedules.recordManualRun("daily-pnl-summary", "job_pnl_1", T0);
    await storage.schedules.recordManualRun("daily-pnl-summary", "job_pnl_2", T0 + HOUR);
    const lastFiringBefore = await storage.schedules.lastFiring("daily-pnl-summary");

    const cutoff = T0 + 7 * DAY;
    expect(await storage.schedules.pruneSlots(cutoff)).toEqual({ slots: 7, manualRuns: 8 });
    const slots = rows(storage, "SELECT slot FROM schedule_slots WHERE name = 'daily-ledger-refresh' ORDER BY slot");
    expect(slots).toEqual([7, 8, 9].map((d) => T0 + d * DAY + HOUR));
    const runs = rows(
      storage,
      "SELECT job_id FROM schedule_manual_runs WHERE name = 'daily-ledger-refresh' ORDER BY id",
    );
    expect(runs).toEqual(["job_7", "job_8", "job_9"]);
    // a schedule's only (latest) slot stays even when old: it is what stops an older slot from firing again
    expect(await storage.schedules.lastSlot("wallet-balance-check")).toBe(T0);
    // a schedule's latest manual run stays even when old, so its last firing does not change
    expect(rows(storage, "SELECT job_id FROM schedule_manual_runs WHERE name = 'daily-pnl-summary'")).toEqual([
      "job_pnl_2",
    ]);
    expect(await storage.schedules.lastFiring("daily-pnl-summary")).toEqual(lastFiringBefore);

    // far in the future, one of each is left per schedule, and pruning again removes nothing
    expect(await storage.schedules.pruneSlots(T0 + 100 * DAY)).toEqual({ slots: 2, manualRuns: 2 });
    expect(await storage.schedules.pruneSlots(T0 + 100 * DAY)).toEqual({ slots: 0, manualRuns: 0 });
    expect(rows(storage, "SELECT COUNT(*) FROM schedule_manual_runs")).toEqual([2]);
    expect(rows(storage, "SELECT COUNT(*) FROM schedule_slots")).toEqual([2]);
    expect(await storage.schedules.lastFiring("daily-ledger-refresh")).toMatchObject({
      manual: true,
      jobId: "job_9",
    });
  });
});
