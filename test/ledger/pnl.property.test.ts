import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pnlReport, recordBet, recordMovement } from "../../src/ledger/index.js";
import type { BetRecord, MovementKind, MovementRecord } from "../../src/ledger/types.js";
import { bet, tempLedger } from "./helpers.js";

const DAY = 86_400_000;
const START = Date.UTC(2026, 10, 23);
const AGENTS = ["ag_aaaaaaaaaaaa", "ag_bbbbbbbbbbbb", "ag_cccccccccccc"];
const KINDS: Array<[MovementKind, 1 | -1 | 0]> = [
  ["opening_balance", 1],
  ["escrow_lock", -1],
  ["escrow_release", 1],
  ["faucet", 1],
  ["transfer_out", -1],
  ["transfer_in", 1],
  ["deposit", 1],
  ["external", 0],
];

const time = fc.integer({ min: START, max: START + 5 * DAY });
const betArb = fc.record({
  agent: fc.constantFrom(...AGENTS),
  game: fc.constantFrom("coin-flip", "dice"),
  // up to $5,000 a bet, so squares of nets pass 2^53
  stake: fc.integer({ min: 10_000, max: 5_000_000_000 }),
  won: fc.boolean(),
  basis: fc.integer({ min: 10_100, max: 1_000_000 }),
  at: time,
});
const movementArb = fc.record({
  agent: fc.constantFrom(...AGENTS),
  kind: fc.constantFrom(...KINDS),
  magnitude: fc.integer({ min: 0, max: 10_000_000_000 }),
  negative: fc.boolean(),
  fee: fc.integer({ min: 0, max: 100_000 }),
  at: time,
});
const windowArb = fc.option(
  fc.tuple(time, fc.integer({ min: 1, max: 3 * DAY })).map(([from, span]) => ({ from, to: from + span })),
);

/** Largest C_i − C_j over i ≤ j of the cumulative sums (C_0 = 0): the O(n²) definition, no cleverness. */
function naiveDrawdown(nets: number[]): number {
  const cumulative = [0];
  for (const n of nets) cumulative.push((cumulative.at(-1) as number) + n);
  let worst = 0;
  for (let i = 0; i < cumulative.length; i++) {
    for (let j = i; j < cumulative.length; j++)
      worst = Math.max(worst, (cumulative[i] as number) - (cumulative[j] as number));
  }
  return worst;
}

let ledger: ReturnType<typeof tempLedger>;
beforeAll(() => {
  ledger = tempLedger();
});
afterAll(() => ledger.close());

describe("pnlReport on random ledgers", () => {
  it("totals and net change are the plain sums of the rows; 0 ≤ drawdown ≤ total losses", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(betArb, { maxLength: 40 }),
        fc.array(movementArb, { maxLength: 15 }),
        windowArb,
        async (betSpecs, movementSpecs, window) => {
          const bets: BetRecord[] = betSpecs.map((s) =>
            bet({
              agentId: s.agent,
              game: s.game,
              stake: s.stake,
              won: s.won,
              payoutMultiplier: s.basis / 10_000,
              placedAt: s.at,
            }),
          );
          const movements: MovementRecord[] = movementSpecs.map((s, i) => {
            const sign = s.kind[1] === 0 ? (s.negative ? -1 : 1) : s.kind[1];
            return {
              agentId: s.agent,
              kind: s.kind[0],
              amount: sign * s.magnitude,
              fee: s.kind[0] === "escrow_lock" ? s.fee : 0,
              reference: `m${i}`,
              at: s.at,
            };
          });
          await ledger.storage.transaction(async (tx) => {
            // the raw handle is the transaction's own connection: the clean-up commits (or not) with the rest
            ledger.db.exec("DELETE FROM bets; DELETE FROM movements;");
            for (const b of bets) await recordBet(tx, b);
            for (const m of movements) await recordMovement(tx, m);
          });

          const inWindow = (t: number) => !window || (t >= window.from && t < window.to);
          const selected = bets.filter((b) => inWindow(b.placedAt));
          // time order, ties in insertion order (rowid)
          const nets = selected
            .map((b, i) => ({ t: b.placedAt, i, net: b.payout - b.stake }))
            .sort((x, y) => x.t - y.t || x.i - y.i)
            .map((x) => x.net);
          const pnl = nets.reduce((s, n) => s + n, 0);
          const losses = nets.filter((n) => n < 0).reduce((s, n) => s - n, 0);
          const moved = movements.filter((m) => inWindow(m.at)).reduce((s, m) => s + m.amount, 0);

          const r = await pnlReport(ledger.storage, window ?? {});
          expect(r.totals.bets).toBe(selected.length);
          expect(r.totals.wins).toBe(selected.filter((b) => b.won).length);
          expect(r.totals.wagered).toBe(selected.reduce((s, b) => s + b.stake, 0));
          expect(r.totals.returned).toBe(selected.reduce((s, b) => s + b.payout, 0));
          expect(r.totals.pnl).toBe(pnl);
          expect(r.netChange).toBe(moved + pnl);
          expect(r.maxDrawdown).toBeGreaterThanOrEqual(0);
          expect(r.maxDrawdown).toBeLessThanOrEqual(losses);
          expect(r.maxDrawdown).toBe(naiveDrawdown(nets));
          const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
          expect(sum(Object.values(r.byGame).map((g) => g.pnl))).toBe(pnl);
          expect(sum(Object.values(r.byAgent).map((g) => g.bets))).toBe(selected.length);
          expect(sum(r.days.map((d) => d.pnl))).toBe(pnl);
          expect(sum(r.days.map((d) => d.bets))).toBe(selected.length);
          if (r.totals.best && r.totals.worst) {
            expect(r.totals.best.net).toBe(Math.max(...nets));
            expect(r.totals.worst.net).toBe(Math.min(...nets));
          }
        },
      ),
      { numRuns: 80 },
    );
  });
});
