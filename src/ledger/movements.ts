import type { Db } from "../db.js";
import { FleetError } from "../errors.js";
import { escrowIdOf } from "./classify.js";
import { type RowFilter, rowFilter } from "./filter.js";
import { isSameMovement } from "./matching.js";
import type { MovementKind, MovementRecord } from "./types.js";
import { requireInteger, requireMicros, requireText, requireTime } from "./validate.js";

/** References of movements the ledger refresh imported: `ledger:<server row id>`. */
export const IMPORTED_PREFIX = "ledger:";

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

export interface StoredMovement extends MovementRecord {
  fee: number;
  description: string | undefined;
  jobId: string | null;
  recordedAt: number;
}

export interface MovementQuery extends RowFilter {
  kinds?: MovementKind[];
  order?: "asc" | "desc";
  /** 1–10,000; default 100 */
  limit?: number;
  offset?: number;
}

interface MovementRow {
  agent_id: string;
  kind: MovementKind;
  amount: number;
  reference: string;
  fee: number;
  description: string | null;
  job_id: string | null;
  at: number;
  recorded_at: number;
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

/** The server ledger row an imported movement came from (written by the ledger refresh only). */
export interface ServerOrigin {
  entryId: string;
  reference: string | null;
  reason: string;
}

/**
 * Stores a non-bet money movement once per (agent, reference). The same movement again is a no-op; a
 * different kind, amount or fee under a reference already used throws CONFLICT (two different movements
 * must never share a key, and silently keeping either would hide money).
 *
 * If the ledger refresh already imported this very money from the server's ledger (see
 * src/ledger/matching.ts), the imported row is taken over — given this reference, fee, job and description —
 * instead of adding a second row, and `inserted` is false. A different amount there throws CONFLICT.
 */
export function recordMovement(db: Db, rec: MovementRecord, now: number = Date.now()): { inserted: boolean } {
  validateMovement(rec);
  const keyed = getMovement(db, rec.agentId, rec.reference) !== undefined;
  if (!keyed && !rec.reference.startsWith(IMPORTED_PREFIX) && adoptImported(db, rec)) return { inserted: false };
  return insertMovement(db, rec, now, null);
}

/** For the ledger refresh: stores a movement imported from a server row, remembering the row. */
export function recordImportedMovement(
  db: Db,
  rec: MovementRecord,
  origin: ServerOrigin,
  now: number = Date.now(),
): { inserted: boolean } {
  validateMovement(rec);
  return insertMovement(db, rec, now, origin);
}

function insertMovement(db: Db, rec: MovementRecord, now: number, origin: ServerOrigin | null): { inserted: boolean } {
  const fee = rec.fee ?? 0;
  const result = db
    .prepare(
      `INSERT INTO movements (agent_id, kind, amount, reference, fee, description, job_id, at, recorded_at,
         server_entry_id, server_reference, server_reason)
       VALUES (@agentId, @kind, @amount, @reference, @fee, @description, @jobId, @at, @now,
         @entryId, @serverReference, @serverReason)
       ON CONFLICT (agent_id, reference) DO NOTHING`,
    )
    .run({
      agentId: rec.agentId,
      kind: rec.kind,
      amount: rec.amount,
      reference: rec.reference,
      fee,
      description: rec.description ?? null,
      jobId: rec.jobId ?? null,
      at: rec.at,
      now,
      entryId: origin?.entryId ?? null,
      serverReference: origin?.reference ?? null,
      serverReason: origin?.reason ?? null,
    });
  if (result.changes === 1) return { inserted: true };

  const existing = getMovement(db, rec.agentId, rec.reference);
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

const ESCROW_KINDS: readonly MovementKind[] = ["escrow_lock", "escrow_release", "escrow_refund"];

/** Takes over an imported row that is the same money as `rec`; true if it did. */
function adoptImported(db: Db, rec: MovementRecord): boolean {
  const candidates = db
    .prepare(
      `SELECT id, amount, reference, server_entry_id, server_reference, server_reason FROM movements
       WHERE agent_id = ? AND kind = ? AND server_entry_id IS NOT NULL AND substr(reference, 1, ?) = ?`,
    )
    .all(rec.agentId, rec.kind, IMPORTED_PREFIX.length, IMPORTED_PREFIX) as Array<{
    id: number;
    amount: number;
    reference: string;
    server_entry_id: string;
    server_reference: string | null;
    server_reason: string | null;
  }>;
  const match = candidates.find((c) =>
    isSameMovement(
      {
        id: c.server_entry_id,
        reference: c.server_reference,
        reason: c.server_reason ?? "",
        kind: rec.kind,
        escrowId: ESCROW_KINDS.includes(rec.kind) ? escrowIdOf(c.server_reference, c.server_reason ?? "") : null,
      },
      rec,
    ),
  );
  if (!match) return false;
  if (match.amount !== rec.amount) {
    throw new FleetError(
      "CONFLICT",
      `agent ${rec.agentId}: ${rec.kind} \`${rec.reference}\` of ${rec.amount} matches server ledger row ` +
        `\`${match.server_entry_id}\`, which moved ${match.amount}`,
      { details: { agentId: rec.agentId, reference: rec.reference, serverEntryId: match.server_entry_id } },
    );
  }
  db.prepare(
    "UPDATE movements SET reference = ?, fee = ?, description = COALESCE(?, description), job_id = ? WHERE id = ?",
  ).run(rec.reference, rec.fee ?? 0, rec.description ?? null, rec.jobId ?? null, match.id);
  return true;
}

const SELECT = "SELECT agent_id, kind, amount, reference, fee, description, job_id, at, recorded_at FROM movements";

export function getMovement(db: Db, agentId: string, reference: string): StoredMovement | undefined {
  const row = db.prepare(`${SELECT} WHERE agent_id = ? AND reference = ?`).get(agentId, reference) as
    | MovementRow
    | undefined;
  return row && toMovement(row);
}

export function listMovements(db: Db, q: MovementQuery = {}): StoredMovement[] {
  const limit = requireInteger("limit", q.limit ?? 100, 1, 10_000);
  const offset = requireInteger("offset", q.offset ?? 0, 0, Number.MAX_SAFE_INTEGER);
  if (q.order !== undefined && q.order !== "asc" && q.order !== "desc") {
    throw new FleetError("INVALID_INPUT", `order must be \`asc\` or \`desc\`, got \`${q.order}\``);
  }
  const kinds = q.kinds?.map(requireKind);
  const where = rowFilter(q, "at", kinds?.length ? ["kind IN (SELECT value FROM json_each(@kinds))"] : []);
  const dir = q.order === "asc" ? "ASC" : "DESC";
  const rows = db.prepare(`${SELECT} ${where.sql} ORDER BY at ${dir}, id ${dir} LIMIT @limit OFFSET @offset`).all({
    ...where.params,
    ...(kinds?.length ? { kinds: JSON.stringify(kinds) } : {}),
    limit,
    offset,
  }) as MovementRow[];
  return rows.map(toMovement);
}

function toMovement(row: MovementRow): StoredMovement {
  return {
    agentId: row.agent_id,
    kind: row.kind,
    amount: row.amount,
    reference: row.reference,
    fee: row.fee,
    description: row.description ?? undefined,
    jobId: row.job_id,
    at: row.at,
    recordedAt: row.recorded_at,
  };
}
