import { FleetError } from "../errors.js";
import type { MovementInsert, MovementWrite, NewMovement } from "../storage/ledger.js";
import type { Executor } from "../storage/types.js";
import { type RowFilter, rowFilter } from "./filter.js";
import type { MovementKind, MovementRecord, ServerOrigin, StoredMovement } from "./types.js";
import { requireInteger, requireMicros, requireText, requireTime } from "./validate.js";

export { IMPORTED_PREFIX } from "./matching.js";
export type { ServerOrigin, StoredMovement };

/** The ledger of a storage or of a transaction (a money job's `ReceiptWriter` included). */
type Ledger = Pick<Executor, "ledger">;

export const MOVEMENT_KINDS: readonly MovementKind[] = [
  "opening_balance",
  "escrow_lock",
  "escrow_release",
  "escrow_refund",
  "faucet",
  "transfer_out",
  "transfer_in",
  "domain_purchase",
  "deposit",
  "external",
];

/** The direction each kind implies (amounts are signed from the agent's point of view). */
const SIGN: Record<MovementKind, "any" | "nonnegative" | "nonpositive"> = {
  opening_balance: "nonnegative",
  escrow_lock: "nonpositive",
  escrow_release: "nonnegative",
  escrow_refund: "nonnegative",
  faucet: "nonnegative",
  transfer_out: "nonpositive",
  transfer_in: "nonnegative",
  domain_purchase: "nonpositive",
  deposit: "nonnegative",
  external: "any",
};

export interface MovementQuery extends RowFilter {
  kinds?: MovementKind[];
  order?: "asc" | "desc";
  /** 1–10,000; default 100 */
  limit?: number;
  offset?: number;
}

function requireKind(kind: unknown): MovementKind {
  if (!MOVEMENT_KINDS.includes(kind as MovementKind)) {
    throw new FleetError("INVALID_INPUT", `kind must be one of ${MOVEMENT_KINDS.join(", ")}, got \`${String(kind)}\``);
  }
  return kind as MovementKind;
}

function validateMovement(rec: MovementRecord): void {
  requireText("agentId", rec.agentId);
  const kind = requireKind(rec.kind);
  requireMicros(`${kind} amount`, rec.amount, SIGN[kind]);
  requireText("reference", rec.reference);
  if (rec.fee !== undefined) requireMicros("fee", rec.fee, "nonnegative");
  requireTime("at", rec.at);
}

/** The movement as the storage takes it: checked, optional fields resolved. */
function newMovement(rec: MovementRecord): NewMovement {
  return {
    agentId: rec.agentId,
    kind: rec.kind,
    amount: rec.amount,
    reference: rec.reference,
    fee: rec.fee ?? 0,
    description: rec.description ?? null,
    jobId: rec.jobId ?? null,
    at: rec.at,
  };
}

/**
 * Stores a non-bet money movement once per (agent, reference). The same movement again is a no-op; a
 * different kind, amount or fee under a reference already used throws CONFLICT (two different movements
 * must never share a key, and silently keeping either would hide money).
 *
 * If the ledger refresh already imported this very money from the server's ledger (see
 * src/ledger/matching.ts), the imported row is taken over — given this reference, fee, job and description —
 * instead of adding a second row, and `inserted` is false. A different amount there throws CONFLICT.
 * The storage does the look-up and the write as one atomic operation (`LedgerRepo.recordMovement`).
 */
export async function recordMovement(
  x: Ledger,
  rec: MovementRecord,
  now: number = Date.now(),
): Promise<{ inserted: boolean }> {
  validateMovement(rec);
  return settle(rec, await x.ledger.recordMovement(newMovement(rec), now));
}

/** For the ledger refresh: stores a movement imported from a server row, remembering the row. */
export async function recordImportedMovement(
  x: Ledger,
  rec: MovementRecord,
  origin: ServerOrigin,
  now: number = Date.now(),
): Promise<{ inserted: boolean }> {
  validateMovement(rec);
  return settle(rec, await x.ledger.recordImportedMovement(newMovement(rec), origin, now));
}

function settle(rec: MovementRecord, write: MovementWrite | MovementInsert): { inserted: boolean } {
  switch (write.outcome) {
    case "inserted":
      return { inserted: true };
    case "adopted":
      return { inserted: false };
    case "mismatch":
      throw new FleetError(
        "CONFLICT",
        `agent ${rec.agentId}: ${rec.kind} \`${rec.reference}\` of ${rec.amount} matches server ledger row ` +
          `\`${write.serverEntryId}\`, which moved ${write.amount}`,
        { details: { agentId: rec.agentId, reference: rec.reference, serverEntryId: write.serverEntryId } },
      );
    case "exists": {
      const fee = rec.fee ?? 0;
      const existing = write.existing;
      if (!existing) throw new FleetError("INTERNAL", `movement ${rec.reference} was neither inserted nor found`);
      if (existing.kind !== rec.kind || existing.amount !== rec.amount || existing.fee !== fee) {
        throw new FleetError(
          "CONFLICT",
          `agent ${rec.agentId} already has a different movement with reference \`${rec.reference}\`: ` +
            `${existing.kind} ${existing.amount} (fee ${existing.fee}) ≠ ${rec.kind} ${rec.amount} (fee ${fee})`,
          { details: { agentId: rec.agentId, reference: rec.reference } },
        );
      }
      return { inserted: false };
    }
  }
}

export function getMovement(x: Ledger, agentId: string, reference: string): Promise<StoredMovement | undefined> {
  return x.ledger.movement(agentId, reference);
}

export async function listMovements(x: Ledger, q: MovementQuery = {}): Promise<StoredMovement[]> {
  const limit = requireInteger("limit", q.limit ?? 100, 1, 10_000);
  const offset = requireInteger("offset", q.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
  if (q.order !== undefined && q.order !== "asc" && q.order !== "desc") {
    throw new FleetError("INVALID_INPUT", `order must be \`asc\` or \`desc\`, got \`${q.order}\``);
  }
  const kinds = q.kinds?.map(requireKind);
  const filter = rowFilter(q);
  return x.ledger.listMovements({
    ...filter,
    ...(kinds?.length ? { kinds } : {}),
    order: q.order ?? "desc",
    limit,
    offset,
  });
}
