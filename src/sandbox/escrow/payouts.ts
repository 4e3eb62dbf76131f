import type { SandboxWorld } from "../world.js";
import type { EscrowRow, EscrowStore } from "./escrow-store.js";

/** `toFixed(6)` rounding, as the escrow service applies to its derived amounts. */
export const round6 = (x: number): number => Number.parseFloat(x.toFixed(6));

/**
 * Release: the counterparty gets amount − commission (amount × 0.99); the referrer, if any, its share of the
 * commission; the rest of the commission goes to nobody. Ledger rows follow the service: reference
 * `<escrow_id>_release` / `_refcom`, row id = reference + `_credit`.
 */
export function payRelease(world: SandboxWorld, store: EscrowStore, escrow: EscrowRow, actorId: string): number {
  const net = round6(escrow.amount_usd - escrow.commission_usd);
  world.db.transaction(() => {
    credit(world, escrow.counterparty_id, net, `escrow_release: ${escrow.id}`, `${escrow.id}_release`);
    payReferrer(world, escrow);
    store.setStatus(escrow.id, "released", actorId, `Released by creator ${actorId}`);
  })();
  return net;
}

/**
 * Timeout: the CREATOR is refunded amount − commission (the referral share is still paid) and the escrow
 * becomes `refunded`, even if the counterparty had marked it complete.
 */
export function refundOnTimeout(world: SandboxWorld, store: EscrowStore, escrow: EscrowRow): void {
  const refund = escrow.amount_usd - escrow.commission_usd;
  world.db.transaction(() => {
    credit(world, escrow.creator_id, refund, `escrow_timeout_refund: ${escrow.id}`, `${escrow.id}_timeout`);
    payReferrer(world, escrow);
    store.setStatus(escrow.id, "refunded", null, `Auto-refunded after ${escrow.timeout_hours}h timeout`);
  })();
}

/** Runs every due timeout; returns how many escrows were refunded. */
export function sweepExpiredEscrows(world: SandboxWorld, store: EscrowStore): number {
  const due = store.due();
  for (const escrow of due) {
    refundOnTimeout(world, store, escrow);
    world.log.info({ escrowId: escrow.id, creatorId: escrow.creator_id }, "escrow timed out; creator refunded less 1%");
  }
  return due.length;
}

function payReferrer(world: SandboxWorld, escrow: EscrowRow): void {
  if (!escrow.referrer_id || escrow.referral_commission_usd <= 0) return;
  if (!world.agents.byId(escrow.referrer_id)) return;
  credit(
    world,
    escrow.referrer_id,
    escrow.referral_commission_usd,
    `escrow_referral_commission: ${escrow.id}`,
    `${escrow.id}_refcom`,
  );
}

function credit(world: SandboxWorld, agentId: string, amount: number, reason: string, reference: string): void {
  world.ledger.credit(agentId, amount, { id: `${reference}_credit`, reason, reference, service: "escrow" });
}
