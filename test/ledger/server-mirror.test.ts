import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { appendToMirror, chainOrder, mirrorCovers } from "../../src/ledger/server-mirror.js";
import type { LedgerEntry } from "../../src/purpleflea/types.js";
import { tempLedger } from "./helpers.js";

const A = "ag_aaaaaaaaaaaa";
const SECOND = "2026-12-06T10:00:00.000Z";

/**
 * A server history of `n` rows after a balance of $10, each a $0.05 reservation debit, all in one second (the
 * server returns them in no defined order): row i leaves 10 − 0.05·(i+1).
 */
function history(n: number): LedgerEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `row-${String(i).padStart(3, "0")}`,
    type: "debit",
    amount: 50_000,
    balanceAfter: 10_000_000 - 50_000 * (i + 1),
    reason: "reservation",
    reference: `bet_${i}`,
    service: "casino",
    at: SECOND,
  }));
}

/** What `GET /auth/ledger` shows after `upTo` rows: the newest 50, shuffled. */
function window(rows: LedgerEntry[], upTo: number): LedgerEntry[] {
  const newest = rows.slice(Math.max(0, upTo - 50), upTo);
  return newest
    .map((r, i) => ({ r, k: (i * 7919) % 101 }))
    .sort((a, b) => a.k - b.k)
    .map(({ r }) => r);
}

let ledger: ReturnType<typeof tempLedger>;
beforeEach(() => {
  ledger = tempLedger();
});
afterEach(async () => {
  await ledger.close();
});

const append = (entries: LedgerEntry[]) =>
  ledger.storage.transaction((tx) => appendToMirror(tx, A, entries, Date.now()));

describe("the server ledger mirror", () => {
  it("orders rows of one second by their balances, whatever order the server sent them in", () => {
    const rows = history(30);
    expect(chainOrder(window(rows, 30)).map((r) => r.id)).toEqual(rows.map((r) => r.id));
  });

  it("continues the head without a gap when each read reaches back to it", async () => {
    const rows = history(120);
    for (const upTo of [30, 70, 110, 120]) expect((await append(window(rows, upTo))).gap).toBeNull();
    const mirrored = await ledger.storage.ledger.serverRows({ agentId: A });
    expect(mirrored.map((r) => r.entryId)).toEqual(rows.map((r) => r.id));
    expect(await mirrorCovers(ledger.storage, A, Date.parse(SECOND) + 1, false)).toBe(true);
  });

  it("records the balance of the rows a read missed, and says the mirror no longer covers them", async () => {
    const rows = history(200);
    await append(window(rows, 40));
    const second = await append(window(rows, 150)); // rows 40–99 were never shown
    expect(second.gap).toBe(-60 * 50_000);
    const gaps = await ledger.storage.ledger.serverRows({ agentId: A, gapsOnly: true });
    expect(gaps.map((g) => [g.entryId, g.gapBefore])).toEqual([["row-100", -3_000_000]]);
    expect(await mirrorCovers(ledger.storage, A, Date.parse(SECOND), false)).toBe(false);
  });

  it("a read older than the head only fills in behind it: no gap, and the head stays", async () => {
    const rows = history(200);
    await append(window(rows, 40));
    const older = window(rows, 80); // read first …
    expect((await append(window(rows, 130))).gap).toBe(-40 * 50_000); // … committed after a newer read
    const late = await append(older);
    expect(late.gap).toBeNull();
    expect(late.appended.map((r) => r.entryId)).toEqual(rows.slice(40, 80).map((r) => r.id));
    expect(late.appended.every((r) => r.behindHead)).toBe(true);
    expect((await ledger.storage.ledger.mirrorHead(A)).head?.entryId).toBe("row-129");
    // the next read continues from the real head
    expect((await append(window(rows, 150))).gap).toBeNull();
  });
});
