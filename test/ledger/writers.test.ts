import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FleetError } from "../../src/errors.js";
import {
  getBetByClientSeed,
  latestBalanceSnapshots,
  listBalanceSnapshots,
  listBets,
  listMovements,
  localBalance,
  migrateLedger,
  recordBalanceSnapshot,
  recordBet,
  recordMovement,
} from "../../src/ledger/index.js";
import type { MovementRecord } from "../../src/ledger/types.js";
import { bet, tempLedger, utc } from "./helpers.js";

const A = "ag_aaaaaaaaaaaa";
const T = utc("2026-11-23T12:00:00Z");

let ledger: ReturnType<typeof tempLedger>;
beforeEach(() => {
  ledger = tempLedger();
});
afterEach(() => ledger.close());

const count = (table: string) => ledger.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get();

function catchError(fn: () => unknown): FleetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FleetError);
    return err as FleetError;
  }
  throw new Error("expected a FleetError");
}

describe("recordBet", () => {
  it("stores a receipt once; the same receipt again is a no-op", () => {
    const b = bet({ agentId: A, stake: 30_000, won: true, payoutMultiplier: 1.37, placedAt: T });
    expect(recordBet(ledger.db, b)).toEqual({ inserted: true });
    expect(recordBet(ledger.db, b)).toEqual({ inserted: false });
    expect(count("bets")).toBe(1);
    const stored = getBetByClientSeed(ledger.db, b.clientSeed);
    // the exact credit of §11: $0.03 × 1.37 = $0.0411, not the response's rounded 0.04
    expect(stored).toMatchObject({ ...b, payout: 41_100, net: 11_100, payoutMultiplier: 1.37 });
  });

  it("accepts the reconciled copy of a bet it already has (timing, roll, params and source may differ)", () => {
    const b = bet({ agentId: A, stake: 10_000, won: false, placedAt: T + 123 });
    recordBet(ledger.db, b);
    const fromExport = { ...b, placedAt: T, roll: null, params: {}, source: "reconciled" as const, jobId: "job-9" };
    expect(recordBet(ledger.db, fromExport)).toEqual({ inserted: false });
    expect(getBetByClientSeed(ledger.db, b.clientSeed)?.source).toBe("response");
  });

  it("throws CONFLICT for a different receipt under the same client_seed, and keeps the first", () => {
    const b = bet({ agentId: A, stake: 10_000, won: false, placedAt: T });
    recordBet(ledger.db, b);
    const second = { ...b, betId: "bet_other", won: true, payout: 19_900 };
    const err = catchError(() => recordBet(ledger.db, second));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toContain(b.clientSeed);
    expect(err.message).toContain("won false ≠ true");
    expect(count("bets")).toBe(1);
    expect(getBetByClientSeed(ledger.db, b.clientSeed)?.won).toBe(false);
  });

  it("throws CONFLICT when a bet_id is reported for a second client_seed", () => {
    const b = bet({ agentId: A, stake: 10_000, won: false, placedAt: T });
    recordBet(ledger.db, b);
    const err = catchError(() => recordBet(ledger.db, { ...b, clientSeed: "another-seed" }));
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
  ])("rejects %s with INVALID_INPUT and writes nothing", (_name, change, message) => {
    const b = { ...bet({ agentId: A, stake: 10_000, won: false, placedAt: T }), ...change };
    const err = catchError(() => recordBet(ledger.db, b));
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.message).toMatch(message);
    expect(count("bets")).toBe(0);
  });

  it("writes on the caller's handle, so a rolled-back job transaction leaves no bet behind", () => {
    const b = bet({ agentId: A, stake: 10_000, won: false, placedAt: T });
    const job = ledger.db.transaction(() => {
      recordBet(ledger.db, b);
      throw new Error("job commit failed");
    });
    expect(job).toThrow("job commit failed");
    expect(getBetByClientSeed(ledger.db, b.clientSeed)).toBeUndefined();
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

  it("stores a movement once per (agent, reference)", () => {
    expect(recordMovement(ledger.db, lock)).toEqual({ inserted: true });
    expect(recordMovement(ledger.db, { ...lock, description: "retried", at: T + 5 })).toEqual({ inserted: false });
    expect(listMovements(ledger.db)).toEqual([expect.objectContaining({ ...lock, recordedAt: expect.any(Number) })]);
    // another agent may use the same reference (the counterparty's view of one escrow)
    expect(
      recordMovement(ledger.db, { ...lock, agentId: "ag_bbbbbbbbbbbb", kind: "escrow_refund", amount: 1 }),
    ).toEqual({ inserted: true });
  });

  it("throws CONFLICT for a different amount under a used reference", () => {
    recordMovement(ledger.db, lock);
    const err = catchError(() => recordMovement(ledger.db, { ...lock, amount: -400_000 }));
    expect(err.code).toBe("CONFLICT");
    expect(err.message).toContain("esc_0123456789abcdef");
    expect(localBalance(ledger.db, A)).toBe(-300_000);
  });

  it.each([
    ["a credit booked as an escrow lock", { amount: 300_000 }, /escrow_lock amount must be .* ≤ 0, got `300000`/],
    ["a debit booked as faucet income", { kind: "faucet" as const, amount: -1 }, /faucet amount must be .* ≥ 0/],
    ["an unknown kind", { kind: "bonus" as never }, /kind must be one of opening_balance, .*external, got `bonus`/],
    ["a negative fee", { fee: -1 }, /fee must be a whole number of micro-USD ≥ 0/],
    ["a float amount", { amount: -0.5 }, /got `-0.5`/],
  ])("rejects %s with INVALID_INPUT", (_name, change, message) => {
    const err = catchError(() => recordMovement(ledger.db, { ...lock, ...change }));
    expect(err.code).toBe("INVALID_INPUT");
    expect(err.message).toMatch(message);
    expect(count("movements")).toBe(0);
  });
});

describe("readers", () => {
  it("lists bets newest first by default, filtered by window, agent and game", () => {
    const early = bet({ agentId: A, stake: 10_000, won: false, placedAt: T });
    const sameMs = bet({ agentId: A, stake: 20_000, won: false, placedAt: T });
    const dice = bet({ agentId: A, game: "dice", stake: 30_000, won: false, placedAt: T + 1000 });
    const other = bet({ agentId: "ag_bbbbbbbbbbbb", stake: 40_000, won: false, placedAt: T + 2000 });
    for (const b of [early, sameMs, dice, other]) recordBet(ledger.db, b);

    const seeds = (bs: Array<{ clientSeed: string }>) => bs.map((b) => b.clientSeed);
    expect(seeds(listBets(ledger.db))).toEqual(seeds([other, dice, sameMs, early]));
    expect(seeds(listBets(ledger.db, { order: "asc" }))).toEqual(seeds([early, sameMs, dice, other]));
    expect(seeds(listBets(ledger.db, { agentIds: [A], game: "coin-flip" }))).toEqual(seeds([sameMs, early]));
    expect(seeds(listBets(ledger.db, { from: T + 1, to: T + 2000 }))).toEqual(seeds([dice]));
    expect(seeds(listBets(ledger.db, { limit: 1, offset: 1 }))).toEqual(seeds([dice]));
    expect(() => listBets(ledger.db, { limit: 0 })).toThrow(/limit must be an integer 1–10000, got `0`/);
  });

  it("lists movements by kind", () => {
    recordMovement(ledger.db, { agentId: A, kind: "faucet", amount: 1_000_000, reference: "c1", at: T });
    recordMovement(ledger.db, { agentId: A, kind: "deposit", amount: 5, reference: "d1", at: T + 1 });
    expect(listMovements(ledger.db, { kinds: ["faucet"] }).map((m) => m.reference)).toEqual(["c1"]);
    expect(() => listMovements(ledger.db, { kinds: ["nope" as never] })).toThrow(FleetError);
  });

  it("migrating twice is harmless", () => {
    migrateLedger(ledger.db);
    expect(count("bets")).toBe(0);
  });
});

describe("balance snapshots", () => {
  it("records server against local (read from the ledger by default), once per agent and time", () => {
    recordMovement(ledger.db, { agentId: A, kind: "opening_balance", amount: 2_000_000, reference: "open", at: T });
    const first = recordBalanceSnapshot(ledger.db, { agentId: A, at: T + 10, server: 2_000_041, serverUsd: 2.000041 });
    expect(first).toEqual({
      inserted: true,
      snapshot: { agentId: A, at: T + 10, server: 2_000_041, serverUsd: 2.000041, local: 2_000_000, difference: 41 },
    });
    expect(recordBalanceSnapshot(ledger.db, { agentId: A, at: T + 10, server: 1 }).inserted).toBe(false);
    recordBalanceSnapshot(ledger.db, { agentId: A, at: T + 20, server: 2_000_000 });
    recordBalanceSnapshot(ledger.db, { agentId: "ag_bbbbbbbbbbbb", at: T + 5, server: 0, local: 0 });

    expect(listBalanceSnapshots(ledger.db, { agentIds: [A] }).map((s) => s.at)).toEqual([T + 20, T + 10]);
    expect(latestBalanceSnapshots(ledger.db).map((s) => [s.agentId, s.at, s.difference])).toEqual([
      [A, T + 20, 0],
      ["ag_bbbbbbbbbbbb", T + 5, 0],
    ]);
    expect(() => recordBalanceSnapshot(ledger.db, { agentId: A, at: T, server: 0.5 })).toThrow(/server must be/);
  });
});
