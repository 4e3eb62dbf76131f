import type { CasinoAgent } from "../casino/agents.js";
import { HttpError } from "../http/http-error.js";
import { newEscrowId } from "../ids.js";
import type { SandboxWorld } from "../world.js";
import type { EscrowRow, EscrowStore } from "./escrow-store.js";
import { round6 } from "./payouts.js";

const COMMISSION_RATE = 0.01;
const REFERRAL_SHARE = 0.15;
const MIN_AMOUNT_USD = 0.1;
const MAX_TIMEOUT_HOURS = 720;

/**
 * `POST /escrow/create`, checks in the service's order: amount (numeric strings parsed), description,
 * counterparty format, self-escrow, counterparty exists, balance (402); then the full amount is debited with a
 * ledger row `<escrow_id>_debit` whose reference is the escrow id.
 */
export function createEscrow(
  world: SandboxWorld,
  store: EscrowStore,
  creator: CasinoAgent,
  body: Record<string, unknown>,
): EscrowRow {
  const amount =
    typeof body.amount_usd === "number" ? body.amount_usd : Number.parseFloat(String(body.amount_usd ?? "0"));
  if (!Number.isFinite(amount) || amount < MIN_AMOUNT_USD) {
    throw new HttpError(
      400,
      "invalid_amount",
      `amount_usd must be a number ≥ $${MIN_AMOUNT_USD}, got \`${JSON.stringify(body.amount_usd) ?? "nothing"}\``,
    );
  }
  const description = typeof body.description === "string" ? body.description.trim() : "";
  if (description.length < 3) {
    throw new HttpError(400, "invalid_description", "description is required (min 3 chars)");
  }
  const counterpartyId = typeof body.counterparty_agent_id === "string" ? body.counterparty_agent_id.trim() : "";
  if (!counterpartyId.startsWith("ag_")) {
    throw new HttpError(400, "invalid_counterparty", "counterparty_agent_id must be in ag_xxx format");
  }
  if (counterpartyId === creator.id) throw new HttpError(400, "self_escrow", "Cannot create escrow with yourself");
  if (!world.agents.byId(counterpartyId)) {
    throw new HttpError(404, "counterparty_not_found", `Counterparty agent ${counterpartyId} not found in casino`);
  }
  if (creator.balance_usd < amount) {
    throw new HttpError(
      402,
      "insufficient_balance",
      `Balance $${creator.balance_usd.toFixed(2)} < escrow amount $${amount.toFixed(2)}`,
      { balance: creator.balance_usd },
    );
  }

  const commission = round6(amount * COMMISSION_RATE);
  const referrerId = referrerOf(world, creator, body.referral_code);
  const escrowId = newEscrowId();
  return world.db.transaction(() => {
    const debited = world.ledger.debit(creator.id, amount, {
      id: `${escrowId}_debit`,
      reason: `escrow_lock: ${escrowId}`,
      reference: escrowId,
      service: "escrow",
    });
    if (debited === null) {
      throw new HttpError(500, "debit_failed", "Failed to debit balance. Check your balance and try again.");
    }
    return store.insert({
      id: escrowId,
      creator_id: creator.id,
      counterparty_id: counterpartyId,
      amount_usd: amount,
      commission_usd: commission,
      description,
      timeout_hours: timeoutHours(body.timeout_hours),
      referrer_id: referrerId,
      referral_commission_usd: referrerId ? round6(commission * REFERRAL_SHARE) : 0,
    });
  })();
}

/** The referral_code's owner when one is given (and is not the creator), else whoever referred the creator. */
function referrerOf(world: SandboxWorld, creator: CasinoAgent, code: unknown): string | null {
  if (typeof code === "string" && code !== "") {
    const owner = world.agents.byReferralCode(code);
    return owner && owner.id !== creator.id ? owner.id : null;
  }
  return creator.referred_by;
}

/** Default 24; floored, then clamped to 1–720 (so 0 becomes 1). */
function timeoutHours(input: unknown): number {
  const hours = input === undefined || input === null ? 24 : Number(input);
  if (!Number.isFinite(hours)) return 24;
  return Math.min(Math.max(1, Math.floor(hours)), MAX_TIMEOUT_HOURS);
}
