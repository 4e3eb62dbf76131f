import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { crashPoint, diceMultiplier, seedHash, settle, verifyRoll } from "../../src/purpleflea/index.js";

/**
 * A hand-worked provably-fair example (purpleflea-api.md §2.3), recomputed here with node:crypto:
 * HMAC_SHA256(key = seed text, "pf-fleet:0") starts `da947c6e` = 3 667 164 270; mod 10 000 = 4270 → 42.70.
 */
const SEED = "3f1c9a7e2b5d4c6a8e0f1b2d3c4e5f6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4";

describe("verifyRoll", () => {
  it("matches the hand-worked example", () => {
    expect(verifyRoll(SEED, "pf-fleet", 0)).toEqual({
      roll: 42.7,
      resultHash: "da947c6e257649fc3e4b5c67b539d05110a1646975974e0571119b2c31408452",
    });
  });

  it("agrees with an independent HMAC for several nonces", () => {
    for (const nonce of [1, 2, 999]) {
      const h = createHmac("sha256", Buffer.from(SEED, "utf8")).update(`pf-fleet:${nonce}`).digest("hex");
      const roll = (Number.parseInt(h.slice(0, 8), 16) % 10_000) / 100;
      expect(verifyRoll(SEED, "pf-fleet", nonce)).toEqual({ roll, resultHash: h });
    }
  });

  it("commits to the seed as SHA-256 of its hex text", () => {
    expect(seedHash(SEED)).toBe(createHash("sha256").update(SEED).digest("hex"));
    expect(seedHash(SEED)).toBe("c0c1064fd6c559f609b1e816212306a54c06f006f0eef413b161fa0e778e067f");
  });
});

describe("settle", () => {
  it("coin flip: a roll of 42.70 is heads and pays 1.99", () => {
    expect(settle({ game: "coin-flip", side: "heads" }, 42.7)).toMatchObject({ won: true, payoutMultiplier: 1.99 });
    expect(settle({ game: "coin-flip", side: "tails" }, 42.7).won).toBe(false);
    expect(settle({ game: "coin-flip", side: "tails" }, 50).won).toBe(true);
  });

  it("dice: value = floor(roll) + 1; under is strict and priced at t/100", () => {
    expect(settle({ game: "dice", direction: "over", threshold: 50 }, 50)).toMatchObject({
      won: true,
      result: { dice_value: 51 },
    });
    expect(settle({ game: "dice", direction: "over", threshold: 50 }, 49.99).won).toBe(false);
    expect(settle({ game: "dice", direction: "under", threshold: 50 }, 48.99).won).toBe(true);
    expect(settle({ game: "dice", direction: "under", threshold: 50 }, 49).won).toBe(false); // dice 50 is not < 50
    expect(diceMultiplier("over", 75)).toBe(3.98);
    expect(diceMultiplier("under", 50)).toBe(1.99);
  });

  it("crash: crash point round2(0.995 / (1 − r/100)); ties win; 99.99 caps at 10 000", () => {
    expect(crashPoint(50)).toBe(1.99);
    expect(settle({ game: "crash", cash_out_at: 1.99 }, 50).won).toBe(true);
    expect(settle({ game: "crash", cash_out_at: 2 }, 50).won).toBe(false);
    expect(settle({ game: "multiplier", target_multiplier: 1000 }, 99.99)).toMatchObject({
      won: true,
      payoutMultiplier: 1000,
      result: { crash_point: 10_000 },
    });
  });
});
