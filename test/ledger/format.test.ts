import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { formatReport, pnlReport } from "../../src/ledger/index.js";
import { A, B, loadFixture, WINDOW } from "./fixture.js";
import { tempLedger } from "./helpers.js";

let ledger: ReturnType<typeof tempLedger>;
beforeEach(async () => {
  ledger = tempLedger();
  await loadFixture(ledger.storage);
});
afterEach(() => ledger.close());

/** The lines of the table whose header starts with `first`, header and rule included, up to the blank line. */
function tableAfter(text: string, first: string): string[] {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`${first} `));
  const end = lines.indexOf("", start);
  return lines.slice(start, end === -1 ? undefined : end);
}

describe("formatReport", () => {
  it("prints games, agents, money, days and risk as aligned columns of exact amounts", async () => {
    const text = formatReport(await pnlReport(ledger.storage, WINDOW));
    expect(text.split("\n")[0]).toBe("PnL report, 2026-11-23T00:00:00Z to 2026-11-26T00:00:00Z");

    const games = tableAfter(text, "game");
    expect(games.map((l) => l.split(/\s+/))).toEqual([
      ["game", "bets", "wins", "losses", "win%", "wagered", "returned", "pnl", "best", "worst"],
      expect.any(Array),
      ["coin-flip", "5", "2", "3", "40.0%", "4.6000", "2.5870", "-2.0130", "+0.9900", "-2.0000"],
      ["dice", "3", "2", "1", "66.7%", "0.8500", "1.3930", "+0.5430", "+0.7450", "-0.5000"],
      ["all", "8", "4", "4", "50.0%", "5.4500", "3.9800", "-1.4700", "+0.9900", "-2.0000"],
    ]);
    // right-aligned numbers: every row ends in the same column
    expect(new Set(games.map((l) => l.length)).size).toBe(1);

    expect(
      tableAfter(text, "agent")
        .slice(2)
        .map((l) => l.split(/\s+/).slice(0, 2)),
    ).toEqual([
      [A, "4"],
      [B, "4"],
    ]);
    expect(text).toMatch(/escrow fees paid\s+0\.0100/);
    expect(text).toMatch(/faucet income\s+1\.0000/);
    expect(text).toMatch(/net change \(all rows\)\s+\+9\.5200/);
    expect(text).toMatch(/2026-11-24\s+3\s+-2\.7020/);
    expect(text).toMatch(/average daily pnl\s+-0\.4900/);
    expect(text).toMatch(/worst day\s+2026-11-24 -2\.7020/);
    expect(text).toMatch(/max drawdown\s+3\.0000/);
    expect(text).toMatch(/sharpe per bet\s+-0\.\d{4}/);
    expect(text).toContain("not annualised");
  });

  it("says so when there is nothing to show, and honours the requested decimals", async () => {
    const text = formatReport(await pnlReport(ledger.storage, { from: 0, to: 1 }), { decimals: 2 });
    expect(tableAfter(text, "agent")[2]).toBe("(none)");
    expect(text).toMatch(/sharpe daily\s+-$/m);
    expect(text).toMatch(/^all\s+0\s+0\s+0\s+-\s+0\.00\s+0\.00\s+0\.00\s+-\s+-$/m);
    expect(formatReport(await pnlReport(ledger.storage))).toMatch(/^PnL report, all time$/m);
  });
});
