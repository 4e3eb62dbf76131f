import { describe, expect, it } from "vitest";
import { classifyServerEntry } from "../../src/ledger/index.js";
import { ESC1, serverRow } from "./server-ledger.js";

describe("classifyServerEntry", () => {
  it("signs by type and maps service and reason to a movement kind", () => {
    const kindOf = (type: string, service: string, reason: string, reference?: string) => {
      const c = classifyServerEntry(serverRow("x", type, 5, service, reason, { reference }));
      return c.category === "movement" ? [c.kind, c.amount] : [c.category];
    };
    expect(kindOf("debit", "escrow", `escrow_lock: ${ESC1}`, ESC1)).toEqual(["escrow_lock", -5]);
    expect(kindOf("credit", "escrow", `escrow_release: ${ESC1}`, `${ESC1}_release`)).toEqual(["escrow_release", 5]);
    expect(kindOf("credit", "escrow", `escrow_create_failed_refund: ${ESC1}`)).toEqual(["escrow_refund", 5]);
    expect(kindOf("credit", "faucet", "faucet_claim: $1 free credits")).toEqual(["faucet", 5]);
    expect(kindOf("credit", "deposit", "deposit:base:USDC")).toEqual(["deposit", 5]);
    expect(kindOf("credit", "sandbox", "sandbox_fund")).toEqual(["deposit", 5]);
    expect(kindOf("credit", "casino", "first_deposit_bonus:bonus_1")).toEqual(["external", 5]);
    expect(kindOf("reservation", "casino", "reservation", "bet_1")).toEqual(["bet"]);
    expect(kindOf("adjustment", "casino", "manual")).toEqual(["unclassified"]);
  });

  it("never gives a kind a direction it cannot have", () => {
    const c = classifyServerEntry(serverRow("x", "credit", 1, "escrow", `escrow_lock: ${ESC1}`));
    expect(c).toEqual({ category: "movement", kind: "external", amount: 1, escrowId: ESC1 });
  });

  it("treats reservation rows as bets only when they reference a bet", () => {
    const withdrawal = serverRow("x", "debit", 5, "casino", "reservation", { reference: "wd_9" });
    expect(classifyServerEntry(withdrawal)).toMatchObject({ kind: "external", amount: -5 });
  });

  it("does not mistake a payout for a payment", () => {
    expect(classifyServerEntry(serverRow("x", "credit", 1, "casino", "tournament_payout"))).toMatchObject({
      kind: "external",
    });
    expect(classifyServerEntry(serverRow("x", "debit", 1, "casino", "p2p transfer"))).toMatchObject({
      kind: "transfer_out",
    });
  });
});
