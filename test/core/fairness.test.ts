import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  crashPoint,
  diceMultiplier,
  exactWinProbability,
  kellyMaxBet,
  seedHash,
  settle,
  verifyRoll,
} from "../../src/purpleflea/fairness.js";

const SEED = "a".repeat(64);

describe("provably fair maths", () => {
  it("derives the roll from HMAC-SHA256(seed text, client_seed:nonce), first 8 hex mod 10000 / 100", () => {
    const h = createHmac("sha256", SEED).update("my-seed:7").digest("hex");
    const expected = (Number.parseInt(h.slice(0, 8), 16) % 10000) / 100;
    expect(verifyRoll(SEED, "my-seed", 7)).toEqual({ roll: expected, resultHash: h });
    expect(seedHash(SEED)).toBe(createHash("sha256").update(SEED).digest("hex"));
  });

  it("settles each game like the real engine", () => {
    expect(settle({ game: "coin-flip", side: "heads" }, 49.99)).toMatchObject({ won: true, payoutMultiplier: 1.99 });
    expect(settle({ game: "coin-flip", side: "heads" }, 50)).toMatchObject({ won: false });
    // dice value = floor(r) + 1; under wins strictly below the threshold
    expect(settle({ game: "dice", direction: "under", threshold: 50 }, 48.5).won).toBe(true); // 49 < 50
    expect(settle({ game: "dice", direction: "under", threshold: 50 }, 49.0).won).toBe(false); // 50
    expect(settle({ game: "dice", direction: "over", threshold: 50 }, 50.0).won).toBe(true); // 51 > 50
    expect(diceMultiplier("under", 50)).toBe(1.99);
    expect(diceMultiplier("over", 90)).toBe(9.95);
    // crash ties win
    expect(crashPoint(50)).toBe(1.99);
    expect(settle({ game: "crash", cash_out_at: 1.99 }, 50).won).toBe(true);
    expect(settle({ game: "crash", cash_out_at: 2 }, 50).won).toBe(false);
    expect(crashPoint(99.99)).toBe(10_000);
  });

  it("reproduces the documented edge quirks", () => {
    expect(exactWinProbability({ game: "coin-flip", side: "tails" })).toBe(0.5);
    // dice under 50 pays 1.99 at a 49% chance (2.5% edge)
    expect(exactWinProbability({ game: "dice", direction: "under", threshold: 50 })).toBe(0.49);
    // crash at 2×: 0.4987, a little better than 0.995/2
    expect(exactWinProbability({ game: "crash", cash_out_at: 2 })).toBeCloseTo(0.4987, 4);
  });

  it("caps bets at balance × risk factor × win probability", () => {
    expect(kellyMaxBet(1, 0.25, { game: "coin-flip", side: "heads" })).toBe(0.13);
    expect(kellyMaxBet(100, 1, { game: "coin-flip", side: "heads" })).toBe(50);
  });
});
