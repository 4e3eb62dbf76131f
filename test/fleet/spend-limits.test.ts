import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createFleetStore, type FleetStore } from "../../src/fleet/index.js";
import { openSqliteStorage } from "../../src/storage/index.js";
import type { Storage } from "../../src/storage/types.js";
import { vaultFor } from "../support/database.js";

const AGENT = "ag_aaaaaaaaaaaa";
const KEY = `sk_live_${"a1".repeat(24)}`;

let dir: string;
let storage: Storage;
let fleet: FleetStore;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "pf-spend-"));
  const path = join(dir, "fleet.db");
  storage = openSqliteStorage(path, { private: true });
  fleet = createFleetStore(storage, loadConfig({ PF_DB: path }), { vault: vaultFor(path) });
  await fleet.addAgent({ agentId: AGENT, apiKey: KEY, source: "imported" });
});
afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("escrow and transfer limits", () => {
  it("default to $10 per call and $50 a day fleet-wide, also for callers that configure bet limits only", async () => {
    expect(await fleet.limits()).toMatchObject({
      maxEscrow: 10_000_000,
      dailyEscrow: 50_000_000,
      maxTransfer: 10_000_000,
      dailyTransfer: 50_000_000,
    });
    const betOnly = createFleetStore(
      storage,
      { limits: { maxBet: 1, maxBatch: 1, dailyLossLimit: 1, fleetDailyLossLimit: 1 } },
      { vault: vaultFor(join(dir, "fleet.db")) },
    );
    expect((await betOnly.limits()).maxEscrow).toBe(10_000_000);
  });

  it("can be lowered (per call also per agent), never raised; the daily totals are fleet-wide only", async () => {
    await fleet.tighten({ maxEscrow: 2_000_000 }, AGENT);
    await fleet.tighten({ dailyTransfer: 5_000_000 });
    expect(await fleet.limitsFor(AGENT)).toMatchObject({ maxEscrow: 2_000_000, dailyTransfer: 5_000_000 });
    await expect(fleet.tighten({ maxTransfer: 11_000_000 })).rejects.toMatchObject({ code: "LIMIT_EXCEEDED" });
    await expect(fleet.tighten({ dailyEscrow: 1_000_000 }, AGENT)).rejects.toMatchObject({ code: "INVALID_INPUT" });
    // the lowered per-agent max applies at once, before anything is reserved
    await expect(
      fleet.reserveSpend("escrow", { jobKey: "escrow.create:x", agentId: AGENT, amount: 2_500_000 }),
    ).rejects.toMatchObject({ code: "LIMIT_EXCEEDED", details: { limit: "maxEscrow", limit_usd: 2 } });
    expect(await fleet.liveReservations()).toEqual([]);
  });

  it("bad input and unknown agents are refused before anything is written", async () => {
    await expect(
      fleet.reserveSpend("transfer", { jobKey: "casino.transfer:x", agentId: AGENT, amount: 0 }),
    ).rejects.toMatchObject({ code: "INVALID_INPUT" });
    await expect(
      fleet.reserveSpend("transfer", { jobKey: "casino.transfer:y", agentId: "ag_bbbbbbbbbbbb", amount: 1 }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(fleet.reserveStakes([{ jobKey: "seed-1", agentId: AGENT, amount: -5 }])).rejects.toMatchObject({
      code: "INVALID_INPUT",
    });
    expect(await fleet.liveReservations()).toEqual([]);
  });

  it("a reservation whose job does not exist is never live (it is tied to its job, and dropped)", async () => {
    await fleet.reserveSpend("transfer", { jobKey: "casino.transfer:orphan", agentId: AGENT, amount: 1_000_000 });
    expect(await fleet.liveReservations()).toEqual([]);
    expect((await fleet.moneyToday()).transfer).toEqual({ spent: 0, reserved: 0 });
  });
});
