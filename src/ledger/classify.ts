import type { Micros } from "../money.js";
import type { LedgerEntry } from "../purpleflea/types.js";
import type { MovementKind } from "./types.js";

/**
 * How a row of the casino's shared ledger (`GET /auth/ledger`) maps onto pf-fleet's ledger. Casino, escrow
 * and faucet all write that one ledger; bets write a `reservation` debit and, on a win, a
 * `reservation_release` credit, both referenced by the bet id.
 *
 * Direction comes from `type`: credit / release add to the balance, debit / reservation take from it. The
 * server reports amounts as positive numbers; the sign applied here is the only one used.
 *
 *   service   reason (prefix)                                   → pf-fleet
 *   casino    reservation | reservation_release, ref `bet_…`    → bet (not a movement: the bets table has it)
 *   escrow    escrow_lock                                       → escrow_lock    (debit)
 *   escrow    escrow_release                                    → escrow_release (credit)
 *   escrow    escrow_timeout_refund | escrow_create_failed_refund | escrow_refund
 *                                                               → escrow_refund  (credit)
 *   faucet    (any: explicit claims and the auto-claim at register)
 *                                                               → faucet         (credit)
 *   deposit   (reason deposit:<chain>:<token>) or reason deposit… → deposit      (credit)
 *   sandbox   sandbox_fund (the sandbox's funding control)      → deposit        (credit)
 *   payment   payment_received | payment_sent, ref `pay_…`      → transfer_in (credit) / transfer_out (debit)
 *   any       reason naming a transfer/pay                      → transfer_in (credit) / transfer_out (debit)
 *   anything else — referral commissions (`referral_commission_lN:<bet>`, `escrow_referral_commission: …`),
 *   deposit bonuses, the daily bonus, withdrawals and their reservations — → external (signed)
 *
 * A row whose direction contradicts its kind (an `escrow_lock` credit, say) becomes `external` rather than
 * a movement with an impossible sign. A row of unknown `type` cannot be signed and is left unclassified.
 */
export type ServerEntryClass =
  | { category: "bet"; betId: string }
  | { category: "movement"; kind: MovementKind; amount: Micros; escrowId: string | null }
  | { category: "unclassified"; why: string };

const CREDIT_TYPES = new Set(["credit", "release"]);
const DEBIT_TYPES = new Set(["debit", "reservation"]);
const BET_REASONS = new Set(["reservation", "reservation_release"]);

const ESCROW_LEGS: ReadonlyArray<[prefix: string, kind: MovementKind]> = [
  ["escrow_lock", "escrow_lock"],
  ["escrow_release", "escrow_release"],
  ["escrow_timeout_refund", "escrow_refund"],
  ["escrow_create_failed_refund", "escrow_refund"],
  ["escrow_refund", "escrow_refund"],
];

const ESCROW_ID = /esc_[0-9A-Za-z]+/;
const TRANSFER_REASON = /transfer|(^|[^a-z])(pay|p2p)([^a-z]|$)/i;

/** The signed amount of a server row, or null when its type says nothing about direction. */
export function signedAmount(entry: Pick<LedgerEntry, "type" | "amount">): Micros | null {
  const magnitude = Math.abs(entry.amount);
  if (CREDIT_TYPES.has(entry.type)) return magnitude;
  if (DEBIT_TYPES.has(entry.type)) return magnitude === 0 ? 0 : -magnitude;
  return null;
}

export function classifyServerEntry(entry: LedgerEntry): ServerEntryClass {
  const service = (entry.service ?? "").toLowerCase();
  const reason = entry.reason ?? "";
  const reference = entry.reference ?? "";

  if (BET_REASONS.has(reason) && reference.startsWith("bet_") && (service === "casino" || service === "")) {
    return { category: "bet", betId: reference };
  }
  const amount = signedAmount(entry);
  if (amount === null) return { category: "unclassified", why: `unknown ledger entry type \`${entry.type}\`` };

  const movement = (kind: MovementKind, escrowId: string | null = null): ServerEntryClass =>
    fitsDirection(kind, amount)
      ? { category: "movement", kind, amount, escrowId }
      : { category: "movement", kind: "external", amount, escrowId };

  if (service === "escrow") {
    const escrowId = escrowIdOf(reference, reason);
    const leg = ESCROW_LEGS.find(([prefix]) => reason.startsWith(prefix));
    return movement(leg?.[1] ?? "external", escrowId);
  }
  if (service === "faucet") return movement("faucet");
  if (service === "deposit" || service === "sandbox" || reason.startsWith("deposit")) return movement("deposit");
  if (TRANSFER_REASON.test(reason) || service === "transfer" || service === "payment") {
    return movement(amount >= 0 ? "transfer_in" : "transfer_out");
  }
  return movement("external");
}

/** The escrow id an escrow row is about: from its reference (`<id>`, `<id>_release`, …), else its reason. */
export function escrowIdOf(reference: string | null, reason: string): string | null {
  return ESCROW_ID.exec(reference ?? "")?.[0] ?? ESCROW_ID.exec(reason)?.[0] ?? null;
}

function fitsDirection(kind: MovementKind, amount: Micros): boolean {
  switch (kind) {
    case "escrow_lock":
    case "transfer_out":
    case "domain_purchase":
      return amount <= 0;
    case "external":
      return true;
    default:
      return amount >= 0;
  }
}

/**
 * The server's own `reference` for each escrow leg (escrow writes `<id>`, `<id>_release`, `<id>_timeout`).
 * Movement writers that use these make their rows match the server's 1:1, which is what the ledger refresh
 * recognises first.
 */
export function escrowReference(escrowId: string, leg: "lock" | "release" | "refund"): string {
  return leg === "lock" ? escrowId : leg === "release" ? `${escrowId}_release` : `${escrowId}_timeout`;
}
