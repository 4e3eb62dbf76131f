import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  escrowReference,
  importServerLedger,
  listMovements,
  localBalance,
  recordMovement,
} from "../../src/ledger/index.js";
import type { MovementRecord } from "../../src/ledger/types.js";
import { tempLedger, utc } from "./helpers.js";
import { at, ESC2, serverRow } from "./server-ledger.js";

const B = "ag_bbbbbbbbbbbb";
const faucetRow = serverRow("f-row", "credit", 1_000_000, "faucet", "faucet_claim: $1 free credits", {
  reference: "claim-9",
  at: at(1),
});
const refundRow = serverRow(`${ESC2}_timeout_credit`, "credit", 990_000, "escrow", `escrow_timeout_refund: ${ESC2}`, {
  reference: `${ESC2}_timeout`,
  at: at(2),
});
const transferRow = serverRow("t-row", "credit", 70_000, "casino", "transfer from ag_aaaaaaaaaaaa: req_77777777", {
  at: at(3),
});

let ledger: ReturnType<typeof tempLedger>;
beforeEach(() => {
  ledger = tempLedger();
});
afterEach(() => ledger.close());

describe("a pf-fleet movement recorded after the refresh imported the same money", () => {
  it("takes the imported row over instead of counting the money twice", async () => {
    const db = ledger.storage;
    await importServerLedger(db, B, [faucetRow, refundRow, transferRow]);
    const balance = await localBalance(db, B);
    expect(balance).toBe(1_000_000 + 990_000 + 70_000);

    // an ambiguous faucet claim reconciled late, an escrow refund noticed by a settle task, a transfer receipt
    const late: MovementRecord[] = [
      { agentId: B, kind: "faucet", amount: 1_000_000, reference: "claim-9", jobId: "job-f", at: utc(at(4)) },
      {
        agentId: B,
        kind: "escrow_refund",
        amount: 990_000,
        reference: escrowReference(ESC2, "refund"),
        at: utc(at(5)),
      },
      { agentId: B, kind: "transfer_in", amount: 70_000, reference: "req_77777777", at: utc(at(6)) },
    ];
    for (const m of late) expect(await recordMovement(db, m)).toEqual({ inserted: false });

    expect(await localBalance(db, B)).toBe(balance);
    const listed = await listMovements(db, { agentIds: [B], order: "asc" });
    expect(listed.map((m) => [m.reference, m.kind, m.jobId])).toEqual([
      ["claim-9", "faucet", "job-f"],
      [`${ESC2}_timeout`, "escrow_refund", null],
      ["req_77777777", "transfer_in", null],
    ]);
    // the next refresh still knows these rows, and the writers' retries stay no-ops
    const again = await importServerLedger(db, B, [faucetRow, refundRow, transferRow]);
    expect(again.decisions.map((d) => d.outcome)).toEqual(["already_imported", "already_imported", "already_imported"]);
    expect(await recordMovement(db, { ...(late[0] as MovementRecord), at: utc(at(7)) })).toEqual({ inserted: false });
    expect(await localBalance(db, B)).toBe(balance);
  });

  it("refuses, loudly, a movement that matches an imported row but moved a different amount", async () => {
    await importServerLedger(ledger.storage, B, [faucetRow]);
    const half = { agentId: B, kind: "faucet" as const, amount: 500_000, reference: "claim-9", at: utc(at(4)) };
    await expect(recordMovement(ledger.storage, half)).rejects.toThrow(
      "faucet `claim-9` of 500000 matches server ledger row `f-row`, which moved 1000000",
    );
    expect(await localBalance(ledger.storage, B)).toBe(1_000_000);
  });

  it("leaves unrelated imported rows alone", async () => {
    await importServerLedger(ledger.storage, B, [refundRow]);
    const other = { agentId: B, kind: "escrow_refund" as const, amount: 990_000, at: utc(at(4)) };
    expect(await recordMovement(ledger.storage, { ...other, reference: "esc_9999999999999999_timeout" })).toEqual({
      inserted: true,
    });
    expect(await localBalance(ledger.storage, B)).toBe(2 * 990_000);
  });
});
