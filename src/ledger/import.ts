import { FleetError } from "../errors.js";
import type { Micros } from "../money.js";
import type { LedgerEntry } from "../purpleflea/types.js";
import type { MovementKey } from "../storage/ledger.js";
import type { Executor, Storage, Tx } from "../storage/types.js";
import { classifyServerEntry, signedAmount } from "./classify.js";
import { IMPORTED_PREFIX, isSameMovement } from "./matching.js";
import { recordImportedMovement } from "./movements.js";
import { heldAtOpening } from "./server-mirror.js";

/** Kept here too: task code imports it from this module. */
export { containsToken } from "./matching.js";

import type { MovementKind } from "./types.js";
import { requireMicros, requireText, requireTime } from "./validate.js";

/**
 * The daily ledger refresh: rows of an agent's server ledger that pf-fleet did not cause become movements
 * (keyed `ledger:<server row id>`), so the local ledger keeps agreeing with the server balance.
 *
 * Each row, in time order, gets the first outcome that applies:
 *  1. already_imported  a movement was imported from this row before (the refresh is idempotent), even if a
 *                       pf-fleet writer has since taken it over (src/ledger/movements.ts).
 *  2. bet               a bet's reservation/release row, or any row referencing a recorded bet id: bets live
 *                       in the bets table (a bet pf-fleet did not place shows as a reconciliation difference;
 *                       reconcile it from the bet export instead).
 *  3. before_opening    inside the agent's opening balance: held in the server ledger mirror before its opening
 *                       mark (src/ledger/server-mirror.ts); for agents that joined before the mirror, at or
 *                       before the opening balance's time (or `opts.since`).
 *  4. unclassified      its `type` gives no direction: not imported, reported.
 *  5. recorded          pf-fleet already recorded this money (the rules of src/ledger/matching.ts).
 *  6. imported          stored as the kind of `classifyServerEntry` (src/ledger/classify.ts).
 *
 * Limits: the server returns only the last 50 rows, so a refresh must run more often than 50 server
 * ledger rows accumulate; server times have whole-second resolution, so a row in the same second as the
 * opening balance counts as before it.
 */

export interface ImportOptions {
  /** rows at or before this time are skipped; default: the agent's opening-balance time, if any */
  since?: number;
  /** the refresh job, stored on each imported movement */
  jobId?: string | null;
  /** recorded_at of imported rows */
  now?: number;
}

export type ImportOutcome = "imported" | "already_imported" | "bet" | "unclassified" | "before_opening" | "recorded";

export interface ImportDecision {
  entryId: string;
  outcome: ImportOutcome;
  /** the movement kind the row maps to (imported and recorded rows) */
  kind: MovementKind | null;
  /** signed micro-USD, null when the row's type gives no direction */
  amount: Micros | null;
  /** why, in words: the matching movement's reference, the bet id, the unknown type … */
  note: string;
}

export interface ImportResult {
  agentId: string;
  imported: number;
  decisions: ImportDecision[];
}

/**
 * Where the refresh runs: its own transaction of a storage, or a savepoint of a transaction the caller holds.
 * Either way it judges and writes every row in one atomic unit.
 */
export type ImportTarget = Pick<Storage, "transaction"> | Pick<Tx, "savepoint">;

export async function importServerLedger(
  target: ImportTarget,
  agentId: string,
  entries: readonly LedgerEntry[],
  opts: ImportOptions = {},
): Promise<ImportResult> {
  requireText("agentId", agentId);
  if (!Array.isArray(entries)) throw new FleetError("INVALID_INPUT", "entries must be an array of ledger entries");
  if (opts.since !== undefined) requireTime("since", opts.since);
  // Validate everything before writing anything: bad input touches nothing.
  const rows = entries
    .map((entry, i) => validateEntry(entry, i))
    .sort((a, b) => a.at - b.at || a.entry.id.localeCompare(b.entry.id));

  const ids = rows.map(({ entry }) => entry.id);
  const run = async (tx: Pick<Executor, "ledger">): Promise<ImportResult> => {
    const atOpening = opts.since === undefined ? await heldAtOpening(tx, agentId, ids) : undefined;
    const since = opts.since ?? (await tx.ledger.openingBalanceAt(agentId));
    const known: MovementKey[] = await tx.ledger.movementKeys(agentId);
    // Imported rows match only their own server row (above), never another one.
    const recordedByFleet = known.filter((m) => m.serverEntryId === null);
    const references = rows.flatMap(({ entry }) => (entry.reference ? [entry.reference] : []));
    const recordedBets = await tx.ledger.recordedBetIds(agentId, references);

    const decisions: ImportDecision[] = [];
    for (const { entry, at } of rows) {
      const cls = classifyServerEntry(entry);
      const decide = (outcome: ImportOutcome, note: string): ImportDecision => ({
        entryId: entry.id,
        outcome,
        kind: cls.category === "movement" ? cls.kind : null,
        amount: signedAmount(entry),
        note,
      });
      const decision = async (): Promise<ImportDecision> => {
        const imported = known.find((m) => m.serverEntryId === entry.id);
        if (imported) return decide("already_imported", imported.reference);
        if (cls.category === "bet") return decide("bet", cls.betId);
        if (entry.reference && recordedBets.has(entry.reference)) return decide("bet", entry.reference);
        if (atOpening !== undefined) {
          if (atOpening.has(entry.id)) return decide("before_opening", "held before the opening mark");
        } else if (since !== undefined && at <= since) {
          return decide("before_opening", `at ${at} ≤ ${since}`);
        }
        if (cls.category === "unclassified") return decide("unclassified", cls.why);
        const view = { id: entry.id, reference: entry.reference, reason: entry.reason, ...cls };
        const matched = recordedByFleet.findIndex((m) => isSameMovement(view, m));
        if (matched !== -1) {
          // one movement accounts for one server row: it cannot also hide a second row
          const [match] = recordedByFleet.splice(matched, 1);
          return decide("recorded", (match as MovementKey).reference);
        }

        await recordImportedMovement(
          tx,
          {
            agentId,
            kind: cls.kind,
            amount: cls.amount,
            reference: IMPORTED_PREFIX + entry.id,
            description: `${entry.service || "?"}: ${entry.reason}`.slice(0, 500),
            jobId: opts.jobId ?? null,
            at,
          },
          { entryId: entry.id, reference: entry.reference, reason: entry.reason },
          opts.now,
        );
        known.push({ kind: cls.kind, reference: IMPORTED_PREFIX + entry.id, serverEntryId: entry.id });
        return decide("imported", `${entry.service || "?"}: ${entry.reason}`);
      };
      decisions.push(await decision());
    }
    return { agentId, imported: decisions.filter((d) => d.outcome === "imported").length, decisions };
  };
  // One transaction (IMMEDIATE on SQLite): two processes refreshing at once must not both judge a row "not yet
  // recorded".
  return "savepoint" in target ? target.savepoint(run) : target.transaction(run);
}

function validateEntry(entry: LedgerEntry, i: number): { entry: LedgerEntry; at: number } {
  if (entry === null || typeof entry !== "object") {
    throw new FleetError("INVALID_INPUT", `entries[${i}] must be a ledger entry object, got \`${String(entry)}\``);
  }
  requireText(`entries[${i}].id`, entry.id);
  requireMicros(`entries[${i}].amount`, entry.amount);
  if (typeof entry.reason !== "string") {
    throw new FleetError("INVALID_INPUT", `entries[${i}].reason must be a string, got \`${String(entry.reason)}\``);
  }
  return { entry, at: parseServerTime(entry.at, `entries[${i}].at`) };
}

/** ISO text, or unix seconds / ms as digits (the server stores whole seconds). */
export function parseServerTime(at: unknown, field: string): number {
  let ms = Number.NaN;
  if (typeof at === "number" || (typeof at === "string" && /^\d+$/.test(at))) {
    const n = Number(at);
    ms = n < 1e11 ? n * 1000 : n;
  } else if (typeof at === "string") {
    ms = Date.parse(at);
  }
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new FleetError("INVALID_INPUT", `${field} must be an ISO time or unix seconds, got \`${String(at)}\``);
  }
  return ms;
}
