import { recordBet, recordMovement } from "../../src/ledger/index.js";
import type { BetRecord, MovementRecord } from "../../src/ledger/types.js";
import type { Storage } from "../../src/storage/index.js";
import { bet, utc } from "./helpers.js";

/**
 * Eight bets over three UTC days (Mon 2026-11-23 … Wed 25) by two agents on two games, plus movements,
 * and one row just outside each end of the window. Expected numbers are worked out by hand in the tests.
 */
export const A = "ag_aaaaaaaaaaaa";
export const B = "ag_bbbbbbbbbbbb";
export const WINDOW = { from: utc("2026-11-23T00:00:00Z"), to: utc("2026-11-26T00:00:00Z") };

const coin = { game: "coin-flip", payoutMultiplier: 1.99, params: { side: "heads" } };
const dice = { game: "dice", payoutMultiplier: 3.98, params: { direction: "under", threshold: 25 } };

export const BETS = {
  // before the window: excluded by `from`
  early: bet({ ...coin, agentId: A, stake: 100_000, won: false, placedAt: utc("2026-11-22T23:59:59.999Z") }),
  b1: bet({ ...coin, agentId: A, stake: 1_000_000, won: true, placedAt: utc("2026-11-23T10:00:00Z") }),
  b2: bet({ ...dice, agentId: B, stake: 500_000, won: false, placedAt: utc("2026-11-23T11:00:00Z") }),
  b3: bet({ ...dice, agentId: A, stake: 250_000, won: true, placedAt: utc("2026-11-23T12:00:00Z") }),
  // b4 and b5 share a millisecond: rowid order decides (b4 first)
  b4: bet({ ...coin, agentId: A, stake: 2_000_000, won: false, placedAt: utc("2026-11-24T09:00:00Z") }),
  b5: bet({ ...coin, agentId: B, stake: 1_000_000, won: false, placedAt: utc("2026-11-24T09:00:00Z") }),
  b6: bet({ ...dice, agentId: B, stake: 100_000, won: true, placedAt: utc("2026-11-24T15:00:00Z") }),
  b7: bet({ ...coin, agentId: A, stake: 300_000, won: true, placedAt: utc("2026-11-25T08:00:00Z") }),
  b8: bet({ ...coin, agentId: B, stake: 300_000, won: false, placedAt: utc("2026-11-25T23:59:59.999Z") }),
} satisfies Record<string, BetRecord>;

export const MOVEMENTS: MovementRecord[] = [
  { agentId: A, kind: "opening_balance", amount: 10_000_000, reference: "opening", at: utc("2026-11-23T09:00:00Z") },
  { agentId: B, kind: "faucet", amount: 1_000_000, reference: "claim-1", at: utc("2026-11-23T08:00:00Z") },
  {
    agentId: A,
    kind: "escrow_lock",
    amount: -1_000_000,
    fee: 10_000,
    reference: "esc_00000000000000a1",
    at: utc("2026-11-24T10:00:00Z"),
  },
  {
    agentId: B,
    kind: "escrow_release",
    amount: 990_000,
    reference: "esc_00000000000000a1_release",
    at: utc("2026-11-24T11:00:00Z"),
  },
  { agentId: A, kind: "transfer_out", amount: -200_000, reference: "req-00000001", at: utc("2026-11-25T10:00:00Z") },
  { agentId: B, kind: "transfer_in", amount: 200_000, reference: "req-00000001", at: utc("2026-11-25T10:00:00Z") },
  // at exactly `to`: excluded (the window is half-open)
  { agentId: A, kind: "deposit", amount: 5_000_000, reference: "dep-1", at: utc("2026-11-26T00:00:00Z") },
];

export async function loadFixture(storage: Storage): Promise<void> {
  await storage.transaction(async (tx) => {
    for (const b of Object.values(BETS)) await recordBet(tx, b);
    for (const m of MOVEMENTS) await recordMovement(tx, m);
  });
}
