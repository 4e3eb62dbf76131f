import { escrowIdOf } from "./classify.js";
import type { MovementKind } from "./types.js";

/** References of movements the ledger refresh imported: `ledger:<server row id>`. */
export const IMPORTED_PREFIX = "ledger:";
/** References of the money no seen server row explains (src/jobs/tasks/unattributed.ts): `unattributed:<ms>`. */
export const UNATTRIBUTED_PREFIX = "unattributed:";

/**
 * When a server ledger row and a movement pf-fleet recorded are the same money. Used in both directions:
 * the refresh skips a server row pf-fleet already recorded, and a movement pf-fleet records *after* the
 * refresh imported its server row takes that row over instead of counting the money twice (an ambiguous
 * faucet claim reconciled days later, say). Either way round, one movement per real transfer of money.
 */
export interface ServerRowView {
  /** the server ledger row id */
  id: string;
  reference: string | null;
  reason: string;
  /** what the row was classified as (src/ledger/classify.ts) */
  kind: MovementKind;
  escrowId: string | null;
}

/**
 * - the same key: the movement's reference is the row's id or the row's `reference`;
 * - escrow: same kind (lock / release / refund) and the movement's reference names the row's escrow id;
 * - faucet: both are faucet income (the faucet pays an agent once, ever);
 * - transfer: same direction, and the movement's reference (the request id pf-fleet puts in the memo, at
 *   least 8 characters) appears in the row's reason or reference.
 */
export function isSameMovement(row: ServerRowView, movement: { kind: MovementKind; reference: string }): boolean {
  const ref = movement.reference;
  if (ref === row.id || (row.reference !== null && ref === row.reference)) return true;
  if (movement.kind !== row.kind) return false;
  if (row.escrowId !== null) return containsToken(ref, row.escrowId);
  if (row.kind === "faucet") return true;
  if (row.kind === "transfer_in" || row.kind === "transfer_out") {
    return ref.length >= 8 && (containsToken(row.reason, ref) || containsToken(row.reference ?? "", ref));
  }
  return false;
}

const ESCROW_KINDS: readonly MovementKind[] = ["escrow_lock", "escrow_release", "escrow_refund"];

/** A movement the ledger refresh imported, as it remembered its server row. */
export interface ImportedRow {
  serverEntryId: string;
  serverReference: string | null;
  serverReason: string | null;
}

/**
 * Whether an imported row of the movement's agent and kind is the same money as a movement pf-fleet records now
 * (which then takes the row over): the question every backend's `LedgerRepo.recordMovement` asks.
 */
export function isSameAsImported(row: ImportedRow, movement: { kind: MovementKind; reference: string }): boolean {
  const reason = row.serverReason ?? "";
  return isSameMovement(
    {
      id: row.serverEntryId,
      reference: row.serverReference,
      reason,
      kind: movement.kind,
      escrowId: ESCROW_KINDS.includes(movement.kind) ? escrowIdOf(row.serverReference, reason) : null,
    },
    movement,
  );
}

/** `needle` occurs in `haystack` as a whole token (not glued to letters or digits on either side). */
export function containsToken(haystack: string, needle: string): boolean {
  if (!needle) return false;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) {
    if (!isAlnum(haystack[i - 1]) && !isAlnum(haystack[i + needle.length])) return true;
  }
  return false;
}

function isAlnum(ch: string | undefined): boolean {
  return ch !== undefined && /[0-9A-Za-z]/.test(ch);
}
