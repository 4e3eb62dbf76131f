import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import {
  getBetByClientSeed,
  latestBalanceSnapshots,
  listBalanceSnapshots,
  listBets,
  listMovements,
  localBalance,
  recordBalanceSnapshot,
  recordBet,
  recordBets,
  recordMovement,
} from "../../src/ledger/index.js";
import type { BetRecord, MovementRecord } from "../../src/ledger/types.js";
import { openSqliteStorage } from "../../src/storage/index.js";
import { bet, tempLedger, utc } from "./helpers.js";

const A = "ag_aaaaaaaaaaaa";
const T = utc("2026-11-23T12:00:00Z");

let ledger: ReturnType<typeof tempLedger>;
beforeEach(() => {
  ledger = tempLedger();
});
afterEach(() => ledger.close());

const count = (table: string) => ledger.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get();

async function catchError(fn: () => Promise<unknown>): Promise<FleetError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FleetError);
    return err as FleetError;
  }
  throw new Error("expected a FleetError");
}

describe("recordBet", () => {
  it("stores a receipt once; the same receipt again is a no-op", async () => {
    const s = ledger.storage;
    const b = bet({ agentId: A, stake: 30_000, won: true, payoutMultiplier: 1.37, placedAt: T });
    expect(await recordBet(s, b)).toEqual({ inserted: true });
    expect(await recordBet(s, b)).toEqual({ inserted: false });
    expect(count("bets")).toBe(1);
    const stored = await getBetByClientSeed(s, b.clientSeed);
    // the exact credit of §11: $0.03 × 1.37 = $0.0411, not the response's rounded 0.04
    expect(stored).toMatchObject({ ...b, payout: 41_100, net: 11_100, payoutMultiplier: 1.37 });
  });

  it("accepts the reconciled copy of a bet it already has (timing, roll, params and source may differ)", async () => {
    const s = ledger.storage;
    const b = bet({ agentId: A, stake: 10_000, won: false, placedAt: T + 123 });
    await recordBet(s, b);
    const fromExport = { ...b, placedAt: T, roll: null, params: {}, source: "reconciled" as const, jobId: "job-9" };
    expect(await recordBet(s, fromExport)).toEqual({ inserted: false });
    expect((await getBetByClientSeed(s, b.clientSeed))?.source).toBe("response");
  });

  it("throws CONFLICT for a different receipt under the same client_seed, and keeps the first", async () => {
    const s = ledger.storage;
    const b = bet({ agentId: A, stake: 10_000, won: false, placedAt: T });
    await recordBet(s, b);
    const second = { ...b, betId: "bet_other", won: true, payout: 19_900 };
    const err = await catchError(() => recordBet(s, second));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toContain(b.clientSeed);
    expect(err.message).toContain("won false ≠ true");
    expect(count("bets")).toBe(1);
    expect((await getBetByClientSeed(s, b.clientSeed))?.won).toBe(false);
  });

  it("throws CONFLICT when a bet_id is reported for a second client_seed", async () => {
    const b = bet({ agentId: A, stake: 10_000, won: false, placedAt: T });
    await recordBet(ledger.storage, b);
    const err = await catchError(() => recordBet(ledger.storage, { ...b, clientSeed: "another-seed" }));
    expect(err.code).toBe("CONFLICT");
    expect(count("bets")).toBe(1);
  });

  it.each([
    ["a zero stake", { stake: 0 }, /stake must be a whole number of micro-USD > 0, got `0`/],
    ["a float stake", { stake: 1.5 }, /stake must be a whole number of micro-USD ≥ 0, got `1.5`/],
    ["a payout on a lost bet", { won: false, payout: 5 }, /payout of a lost bet must be 0, got `5`/],
    ["a multiplier with 5 decimals", { payoutMultiplier: 1.23456 }, /at most 4 decimals, got `1.23456`/],
    ["an empty client seed", { clientSeed: "" }, /clientSeed must be a non-empty string/],
    ["an unknown source", { source: "guess" as never }, /source must be `response` or `reconciled`/],
  ])("rejects %s with INVALID_INPUT and writes nothing", async (_name, change, message) => {
    const b = { ...bet({ agentId: A, stake: 10_000, won: false, placedAt: T }), ...change };
    const err = await catchError(() => recordBet(ledger.storage, b));
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.message).toMatch(message);
    expect(count("bets")).toBe(0);
  });

  it("writes through the caller's transaction, so a rolled-back job transaction leaves no bet behind", async () => {
    const b = bet({ agentId: A, stake: 10_000, won: false, placedAt: T });
    await expect(
      ledger.storage.transaction(async (tx) => {
        await recordBet(tx, b);
        throw new Error("job commit failed");
      }),
    ).rejects.toThrow("job commit failed");
    expect(await getBetByClientSeed(ledger.storage, b.clientSeed)).toBeUndefined();
  });
});

describe("recordBets (one multi-row insert for a batch call's receipts)", () => {
  const batch = (n: number, over: Partial<BetRecord> = {}) =>
    Array.from({ length: n }, (_, i) =>
      bet({ agentId: A, stake: 10_000 + i, won: i % 2 === 0, placedAt: T + i, jobId: "job-b", ...over }),
    );

  it("stores every receipt and answers `inserted` per receipt, in order, as one by one would", async () => {
    const s = ledger.storage;
    const [b0, b1, b2, b3] = batch(4) as [BetRecord, BetRecord, BetRecord, BetRecord];
    await recordBet(s, b1);
    // b1 already stored, b2 repeated in the list (the first copy is stored, the repeat is a no-op)
    const answers = await recordBets(s, [b0, b1, b2, b2, { ...b3, roll: null, source: "reconciled" }, b3]);
    expect(answers).toEqual([
      { inserted: true },
      { inserted: false },
      { inserted: true },
      { inserted: false },
      { inserted: true },
      { inserted: false },
    ]);
    expect(count("bets")).toBe(4);
    expect((await getBetByClientSeed(s, b3.clientSeed))?.source).toBe("reconciled");
    const listed = await listBets(s, { order: "asc" });
    expect(listed.map((b) => b.clientSeed)).toEqual([b0, b1, b2, b3].map((b) => b.clientSeed));
    expect(await recordBets(s, [b0, b1, b2, b3])).toEqual(Array(4).fill({ inserted: false }));
    expect(await recordBets(s, [])).toEqual([]);
  });

  it("records what the single writer records, net and day totals included", async () => {
    const one = batch(20);
    const many = one.map((b) => ({ ...b, clientSeed: `${b.clientSeed}-m`, betId: `${b.betId}_m` }));
    for (const b of one) await recordBet(ledger.storage, b);
    await recordBets(ledger.storage, many);
    const strip = (b: Record<string, unknown>) => ({ ...b, clientSeed: 0, betId: 0, recordedAt: 0 });
    const stored = await listBets(ledger.storage, { order: "asc", limit: 100 });
    const bySeed = new Map(stored.map((b) => [b.clientSeed, b]));
    for (const [i, b] of one.entries()) {
      const m = many[i] as BetRecord;
      expect(strip({ ...bySeed.get(m.clientSeed) })).toEqual(strip({ ...bySeed.get(b.clientSeed) }));
    }
    const day = ledger.db.prepare("SELECT net, bets FROM bet_day_totals").get() as { net: number; bets: number };
    const net = stored.reduce((sum, b) => sum + b.net, 0);
    expect(day).toEqual({ net, bets: 40 });
  });

  it("splits a long list over several inserts and still answers per receipt", async () => {
    const bets = batch(250);
    const answers = await recordBets(ledger.storage, [...bets, ...(bets.slice(0, 3) as BetRecord[])]);
    expect(answers.filter((a) => a.inserted)).toHaveLength(250);
    expect(answers.slice(250)).toEqual(Array(3).fill({ inserted: false }));
    expect(count("bets")).toBe(250);
  });

  it("throws CONFLICT for a different receipt under a stored seed or id; in a transaction it keeps nothing", async () => {
    const s = ledger.storage;
    const [b0, b1, b2] = batch(3) as [BetRecord, BetRecord, BetRecord];
    await recordBet(s, b1);
    const clash = { ...b1, won: !b1.won, payout: b1.won ? 0 : 19_900 };
    await expect(
      s.transaction(async (tx) => {
        await recordBets(tx, [b0, clash, b2]);
      }),
    ).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringContaining(b1.clientSeed) });
    expect(count("bets")).toBe(1);
    // two receipts in one list under one bet id: the second is a different bet, as one by one
    const err = await catchError(() => recordBets(s, [b0, { ...b0, clientSeed: "other-seed" }]));
    expect(err.code).toBe("CONFLICT");
  });

  it("checks every receipt before writing any", async () => {
    const [b0, b1] = batch(2) as [BetRecord, BetRecord];
    const err = await catchError(() => recordBets(ledger.storage, [b0, { ...b1, stake: 0 }]));
    expect(err.code).toBe("INVALID_INPUT");
    expect(count("bets")).toBe(0);
  });
});

describe("recordMovement", () => {
  const lock: MovementRecord = {
    agentId: A,
    kind: "escrow_lock",
    amount: -300_000,
    fee: 3_000,
    reference: "esc_0123456789abcdef",
    description: "pay for data",
    jobId: "job-1",
    at: T,
  };

  it("stores a movement once per (agent, reference)", async () => {
    const s = ledger.storage;
    expect(await recordMovement(s, lock)).toEqual({ inserted: true });
    expect(await recordMovement(s, { ...lock, description: "retried", at: T + 5 })).toEqual({ inserted: false });
    expect(await listMovements(s)).toEqual([expect.objectContaining({ ...lock, recordedAt: expect.any(Number) })]);
    // another agent may use the same reference (the counterparty's view of one escrow)
    expect(await recordMovement(s, { ...lock, agentId: "ag_bbbbbbbbbbbb", kind: "escrow_refund", amount: 1 })).toEqual({
      inserted: true,
    });
  });

  it("throws CONFLICT for a different amount under a used reference", async () => {
    await recordMovement(ledger.storage, lock);
    const err = await catchError(() => recordMovement(ledger.storage, { ...lock, amount: -400_000 }));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toContain("esc_0123456789abcdef");
    expect(await localBalance(ledger.storage, A)).toBe(-300_000);
  });

  it.each([
    ["a credit booked as an escrow lock", { amount: 300_000 }, /escrow_lock amount must be .* ≤ 0, got `300000`/],
    ["a debit booked as faucet income", { kind: "faucet" as const, amount: -1 }, /faucet amount must be .* ≥ 0/],
    ["an unknown kind", { kind: "bonus" as never }, /kind must be one of opening_balance, .*external, got `bonus`/],
    ["a negative fee", { fee: -1 }, /fee must be a whole number of micro-USD ≥ 0/],
    ["a float amount", { amount: -0.5 }, /got `-0.5`/],
  ])("rejects %s with INVALID_INPUT", async (_name, change, message) => {
    const err = await catchError(() => recordMovement(ledger.storage, { ...lock, ...change }));
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.message).toMatch(message);
    expect(count("movements")).toBe(0);
  });
});

describe("readers", () => {
  it("lists bets newest first by default, filtered by window, agent and game", async () => {
    const s = ledger.storage;
    const early = bet({ agentId: A, stake: 10_000, won: false, placedAt: T });
    const sameMs = bet({ agentId: A, stake: 20_000, won: false, placedAt: T });
    const dice = bet({ agentId: A, game: "dice", stake: 30_000, won: false, placedAt: T + 1000 });
    const other = bet({ agentId: "ag_bbbbbbbbbbbb", stake: 40_000, won: false, placedAt: T + 2000 });
    for (const b of [early, sameMs, dice, other]) await recordBet(s, b);

    const seeds = (bs: Array<{ clientSeed: string }>) => bs.map((b) => b.clientSeed);
    expect(seeds(await listBets(s))).toEqual(seeds([other, dice, sameMs, early]));
    expect(seeds(await listBets(s, { order: "asc" }))).toEqual(seeds([early, sameMs, dice, other]));
    expect(seeds(await listBets(s, { agentIds: [A], game: "coin-flip" }))).toEqual(seeds([sameMs, early]));
    expect(seeds(await listBets(s, { from: T + 1, to: T + 2000 }))).toEqual(seeds([dice]));
    expect(seeds(await listBets(s, { limit: 1, offset: 1 }))).toEqual(seeds([dice]));
    await expect(listBets(s, { limit: 0 })).rejects.toThrow(/limit must be an integer 1–10000, got `0`/);
  });

  it("lists movements by kind", async () => {
    const s = ledger.storage;
    await recordMovement(s, { agentId: A, kind: "faucet", amount: 1_000_000, reference: "c1", at: T });
    await recordMovement(s, { agentId: A, kind: "deposit", amount: 5, reference: "d1", at: T + 1 });
    expect((await listMovements(s, { kinds: ["faucet"] })).map((m) => m.reference)).toEqual(["c1"]);
    await expect(listMovements(s, { kinds: ["nope" as never] })).rejects.toThrow(FleetError);
  });

  it("opening the storage again (migrating twice) is harmless", async () => {
    await recordBet(ledger.storage, bet({ agentId: A, stake: 10_000, won: false, placedAt: T }));
    const again = openSqliteStorage(ledger.path);
    try {
      expect(await listBets(again)).toHaveLength(1);
    } finally {
      await again.close();
    }
  });
});

describe("balance snapshots", () => {
  it("records server against local (read from the ledger by default), once per agent and time", async () => {
    const s = ledger.storage;
    await recordMovement(s, { agentId: A, kind: "opening_balance", amount: 2_000_000, reference: "open", at: T });
    const first = await recordBalanceSnapshot(s, { agentId: A, at: T + 10, server: 2_000_041, serverUsd: 2.000041 });
    expect(first).toEqual({
      inserted: true,
      snapshot: { agentId: A, at: T + 10, server: 2_000_041, serverUsd: 2.000041, local: 2_000_000, difference: 41 },
    });
    expect((await recordBalanceSnapshot(s, { agentId: A, at: T + 10, server: 1 })).inserted).toBe(false);
    await recordBalanceSnapshot(s, { agentId: A, at: T + 20, server: 2_000_000 });
    await recordBalanceSnapshot(s, { agentId: "ag_bbbbbbbbbbbb", at: T + 5, server: 0, local: 0 });

    expect((await listBalanceSnapshots(s, { agentIds: [A] })).map((x) => x.at)).toEqual([T + 20, T + 10]);
    expect((await latestBalanceSnapshots(s)).map((x) => [x.agentId, x.at, x.difference])).toEqual([
      [A, T + 20, 0],
      ["ag_bbbbbbbbbbbb", T + 5, 0],
    ]);
    await expect(recordBalanceSnapshot(s, { agentId: A, at: T, server: 0.5 })).rejects.toThrow(/server must be/);
  });
});
