import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { localBalance, reconciliationReport } from "../../src/ledger/index.js";
import { A, B, loadFixture } from "./fixture.js";
import { tempLedger } from "./helpers.js";

let ledger: ReturnType<typeof tempLedger>;
beforeEach(async () => {
  ledger = tempLedger();
  await loadFixture(ledger.storage);
});
afterEach(() => ledger.close());

describe("reconciliationReport", () => {
  it("shows agreement, and any disagreement to the micro-dollar, per agent in the given order", async () => {
    // A: movements 10,000,000 − 1,000,000 − 200,000 + 5,000,000; bets +32,000 in the window, −100,000 before it
    const localA = 13_732_000;
    // B: movements 1,000,000 + 990,000 + 200,000; bets −1,502,000
    const localB = 688_000;
    expect(await localBalance(ledger.storage, A)).toBe(localA);
    expect(await localBalance(ledger.storage, B)).toBe(localB);

    const lines = await reconciliationReport(
      ledger.storage,
      new Map([
        [B, localB + 41],
        [A, localA],
        ["ag_cccccccccccc", 1_000_000],
      ]),
    );
    expect(lines).toEqual([
      { agentId: B, local: localB, server: localB + 41, difference: 41, unattributed: 0, ok: false },
      { agentId: A, local: localA, server: localA, difference: 0, unattributed: 0, ok: true },
      { agentId: "ag_cccccccccccc", local: 0, server: 1_000_000, difference: 1_000_000, unattributed: 0, ok: false },
    ]);
  });

  it("refuses a server balance that is not whole micro-USD", async () => {
    await expect(reconciliationReport(ledger.storage, new Map([[A, 1.25]]))).rejects.toThrow(
      /server balance of ag_aaaaaaaaaaaa must be a whole number of micro-USD, got `1.25`/,
    );
  });
});
