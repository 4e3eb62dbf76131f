import { parseServerTime } from "../../ledger/import.js";
import type { CallOptions, CasinoClient, LedgerEntry } from "../../purpleflea/types.js";

/**
 * Looking for a money movement in an agent's server ledger (`GET /auth/ledger`, purpleflea-api.md §11).
 * The server returns only the newest 50 rows, so "not found" proves nothing unless those rows reach back
 * past the moment the request could first have been processed. Reconciliations must say `unknown`, never
 * `not_done`, when the window is too short: a false `not_done` would send the money a second time.
 */

/** What `GET /auth/ledger` returns at most. */
export const SERVER_LEDGER_WINDOW = 50;
/** Server times have whole-second resolution and another clock; look this much further back. */
const CLOCK_MARGIN_MS = 5 * 60_000;

export interface LedgerWindow {
  /** every row the server returned (its newest 50) */
  entries: LedgerEntry[];
  /** the rows at or after `since` (less the clock margin): those the job can have caused */
  recent: LedgerEntry[];
  /** true when the answer reaches back past `since`, so a movement absent from `recent` did not happen */
  coversSince: boolean;
}

export async function readServerLedger(
  casino: Pick<CasinoClient, "ledger">,
  key: string,
  since: number,
  opts: CallOptions = {},
): Promise<LedgerWindow> {
  const entries = await casino.ledger(key, opts);
  const from = since - CLOCK_MARGIN_MS;
  const recent = entries.filter((e) => entryTime(e) >= from);
  const coversSince = entries.length < SERVER_LEDGER_WINDOW || entries.some((e) => entryTime(e) < from);
  return { entries, recent, coversSince };
}

/** ms since epoch of a server row; rows with an unreadable time count as infinitely recent. */
export function entryTime(entry: Pick<LedgerEntry, "at">): number {
  try {
    return parseServerTime(entry.at, "at");
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** The tag pf-fleet puts in escrow descriptions and transfer memos so the server's records name the request. */
export function requestTag(requestId: string): string {
  return `[pf:${requestId}]`;
}
