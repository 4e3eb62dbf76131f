import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { FleetError } from "../../src/errors.js";
import {
  importServerLedger,
  listMovements,
  localBalance,
  reconciliationReport,
  recordBet,
  recordMovement,
} from "../../src/ledger/index.js";
import type { LedgerEntry } from "../../src/purpleflea/types.js";
import { bet, tempLedger, utc } from "./helpers.js";
import { at, ESC1, ESC2, OPENED, type Row, serverRow } from "./server-ledger.js";

const A = "ag_aaaaaaaaaaaa";

let ledger: ReturnType<typeof tempLedger>;
let betId: string;
beforeEach(async () => {
  ledger = tempLedger();
  const db = ledger.storage;
  // What pf-fleet itself recorded: the opening balance, its escrow creates, a transfer, a faucet claim, a bet.
  await recordMovement(db, {
    agentId: A,
    kind: "opening_balance",
    amount: 5_000_000,
    reference: "opening",
    at: OPENED,
  });
  await recordMovement(db, {
    agentId: A,
    kind: "escrow_lock",
    amount: -1_000_000,
    fee: 10_000,
    reference: ESC1,
    at: OPENED + 1,
  });
  await recordMovement(db, {
    agentId: A,
    kind: "escrow_lock",
    amount: -500_000,
    fee: 5_000,
    reference: `escrow:${ESC2}:lock`,
    at: OPENED + 2,
  });
  await recordMovement(db, {
    agentId: A,
    kind: "transfer_out",
    amount: -200_000,
    reference: "req_abcdef12",
    at: OPENED + 3,
  });
  await recordMovement(db, { agentId: A, kind: "faucet", amount: 1_000_000, reference: "job-claim-7", at: OPENED + 4 });
  const b = bet({ agentId: A, stake: 100_000, won: true, payoutMultiplier: 1.99, placedAt: OPENED + 5 });
  await recordBet(db, b);
  betId = b.betId;
});
afterEach(() => ledger.close());

function serverRows(): Row[] {
  const r = serverRow;
  return [
    // the same second as the opening balance: already inside it
    r("r0", "credit", 5_000_000, "sandbox", "sandbox_fund", { at: "2026-11-23T10:00:00Z", delta: 0 }),
    r("r1", "debit", 100_000, "casino", "reservation", { reference: betId, at: at(1) }),
    r("r2", "credit", 199_000, "casino", "reservation_release", { reference: betId, at: at(1) }),
    r(`${ESC1}_debit`, "debit", 1_000_000, "escrow", `escrow_lock: ${ESC1}`, { reference: ESC1, at: at(2) }),
    r(`${ESC2}_debit`, "debit", 500_000, "escrow", `escrow_lock: ${ESC2}`, { reference: ESC2, at: at(3) }),
    r(`${ESC2}_timeout_credit`, "credit", 495_000, "escrow", `escrow_timeout_refund: ${ESC2}`, {
      reference: `${ESC2}_timeout`,
      at: at(60),
    }),
    r("tx-1", "debit", 200_000, "casino", "stats_pay: to ag_bbbbbbbbbbbb req_abcdef12", { at: at(4) }),
    r("claim-7-row", "credit", 1_000_000, "faucet", "faucet_claim: $1 free credits", {
      reference: "claim-7",
      at: at(5),
    }),
    r("dep-row", "credit", 2_000_000, "deposit", "deposit:base:USDC", { reference: "dep_1", at: at(6) }),
    r("fund-row", "credit", 3_000_000, "sandbox", "sandbox_fund", { at: at(7) }),
    r("ref-row", "credit", 10_000, "casino", "referral_commission_l1:bet_zzz", { at: at(8) }),
    r("refcom-row", "credit", 1_500, "escrow", "escrow_referral_commission: esc_3333333333333333", {
      reference: "esc_3333333333333333_refcom",
      at: at(9),
    }),
    r("tin-row", "credit", 250_000, "casino", "transfer from ag_cccccccccccc", { at: at(10) }),
    r("wd-row", "debit", 1_000_000, "casino", "withdrawal", { reference: "wd_1", at: at(11) }),
    // the server added 7 micros with a row type pf-fleet cannot sign
    r("odd-row", "adjustment", 7, "casino", "manual fix", { at: at(12), delta: 7 }),
    r("rel-row", "credit", 990_000, "escrow", "escrow_release: esc_4444444444444444", {
      reference: "esc_4444444444444444_release",
      at: at(13),
    }),
  ];
}

describe("importServerLedger", () => {
  it("imports what pf-fleet did not cause, skips what it did, and says why for every row", async () => {
    const result = await importServerLedger(ledger.storage, A, serverRows(), { jobId: "refresh-1" });
    const outcome = Object.fromEntries(result.decisions.map((d) => [d.entryId, [d.outcome, d.kind, d.amount]]));
    expect(outcome).toEqual({
      r0: ["before_opening", "deposit", 5_000_000],
      r1: ["bet", null, -100_000],
      r2: ["bet", null, 199_000],
      [`${ESC1}_debit`]: ["recorded", "escrow_lock", -1_000_000],
      [`${ESC2}_debit`]: ["recorded", "escrow_lock", -500_000],
      [`${ESC2}_timeout_credit`]: ["imported", "escrow_refund", 495_000],
      "tx-1": ["recorded", "transfer_out", -200_000],
      "claim-7-row": ["recorded", "faucet", 1_000_000],
      "dep-row": ["imported", "deposit", 2_000_000],
      "fund-row": ["imported", "deposit", 3_000_000],
      "ref-row": ["imported", "external", 10_000],
      "refcom-row": ["imported", "external", 1_500],
      "tin-row": ["imported", "transfer_in", 250_000],
      "wd-row": ["imported", "external", -1_000_000],
      "odd-row": ["unclassified", null, null],
      "rel-row": ["imported", "escrow_release", 990_000],
    });
    expect(result.imported).toBe(8);
    // rows are judged in time order
    expect(result.decisions.map((d) => d.entryId).slice(0, 3)).toEqual(["r0", "r1", "r2"]);

    const imported = (await listMovements(ledger.storage, { order: "asc" })).filter((m) =>
      m.reference.startsWith("ledger:"),
    );
    expect(imported.map((m) => [m.reference, m.kind, m.amount, m.jobId])).toEqual([
      ["ledger:dep-row", "deposit", 2_000_000, "refresh-1"],
      ["ledger:fund-row", "deposit", 3_000_000, "refresh-1"],
      ["ledger:ref-row", "external", 10_000, "refresh-1"],
      ["ledger:refcom-row", "external", 1_500, "refresh-1"],
      ["ledger:tin-row", "transfer_in", 250_000, "refresh-1"],
      ["ledger:wd-row", "external", -1_000_000, "refresh-1"],
      ["ledger:rel-row", "escrow_release", 990_000, "refresh-1"],
      [`ledger:${ESC2}_timeout_credit`, "escrow_refund", 495_000, "refresh-1"],
    ]);
    expect(imported[0]?.at).toBe(utc(at(6)));
    expect(imported[0]?.description).toBe("deposit: deposit:base:USDC");
  });

  it("after the refresh the ledger agrees with the server, except the row it could not classify", async () => {
    const rows = serverRows();
    const server = 5_000_000 + rows.reduce((sum, r) => sum + r.delta, 0);
    await importServerLedger(ledger.storage, A, rows);
    const [line] = await reconciliationReport(ledger.storage, new Map([[A, server]]));
    expect(line).toEqual({ agentId: A, local: server - 7, server, difference: 7, unattributed: 0, ok: false });
  });

  it("is idempotent: a second refresh over the same rows imports nothing", async () => {
    await importServerLedger(ledger.storage, A, serverRows());
    const balance = await localBalance(ledger.storage, A);
    const again = await importServerLedger(ledger.storage, A, serverRows());
    expect(again.imported).toBe(0);
    expect(again.decisions.filter((d) => d.outcome === "already_imported")).toHaveLength(8);
    expect(await localBalance(ledger.storage, A)).toBe(balance);
  });

  it("lets one recorded movement account for one server row only", async () => {
    const twice = [
      serverRow("f1", "credit", 1_000_000, "faucet", "faucet_claim: $1 free credits", { at: at(5) }),
      serverRow("f2", "credit", 1_000_000, "faucet", "faucet_claim: $1 free credits", { at: at(6) }),
    ];
    const result = await importServerLedger(ledger.storage, A, twice);
    expect(result.decisions.map((d) => [d.entryId, d.outcome])).toEqual([
      ["f1", "recorded"],
      ["f2", "imported"],
    ]);
  });

  it("runs in a savepoint of the caller's transaction when given one, and rolls back with it", async () => {
    const before = await localBalance(ledger.storage, A);
    await expect(
      ledger.storage.transaction(async (tx) => {
        const result = await importServerLedger(tx, A, serverRows());
        expect(result.imported).toBe(8);
        throw new Error("the caller's transaction failed");
      }),
    ).rejects.toThrow("caller's transaction failed");
    expect(await localBalance(ledger.storage, A)).toBe(before);
    expect((await importServerLedger(ledger.storage, A, serverRows())).imported).toBe(8);
  });

  it("honours an explicit `since` instead of the opening balance", async () => {
    const result = await importServerLedger(ledger.storage, A, serverRows(), { since: utc(at(9)) });
    expect(result.decisions.filter((d) => d.outcome === "imported").map((d) => d.entryId)).toEqual([
      "tin-row",
      "wd-row",
      "rel-row",
      `${ESC2}_timeout_credit`,
    ]);
  });

  it("rejects a malformed row before writing anything", async () => {
    const rows: LedgerEntry[] = serverRows();
    rows[9] = { ...(rows[9] as LedgerEntry), amount: 1.5 };
    rows[12] = { ...(rows[12] as LedgerEntry), at: "last tuesday" };
    const before = (await listMovements(ledger.storage)).length;
    await expect(importServerLedger(ledger.storage, A, rows)).rejects.toThrow(
      "entries[9].amount must be a whole number of micro-USD, got `1.5`",
    );
    rows[9] = serverRows()[9] as LedgerEntry;
    const err = await importServerLedger(ledger.storage, A, rows).then(
      () => undefined,
      (e: unknown) => e as FleetError,
    );
    expect(err?.code).toBe("INVALID_INPUT");
    expect(err?.message).toBe("entries[12].at must be an ISO time or unix seconds, got `last tuesday`");
    expect(await listMovements(ledger.storage)).toHaveLength(before);
  });
});
