import { FleetError } from "../errors.js";
import { requireText } from "./input.js";
import type { ApiKey, CallOptions, CasinoClient, ExportedBet, GameName, LedgerEntry } from "./types.js";

/**
 * Reconciliation against the server's own records (purpleflea-api.md §11). No Purple Flea endpoint takes
 * an idempotency key, so when the answer to a money-moving call is lost, these prove whether it happened.
 *
 * Limits, honestly:
 * - Bets: the CSV export returns at most 10,000 rows per call (the newest of the window). When a call comes
 *   back full, this pages backwards in time; it fails (LIMIT_EXCEEDED) rather than guess when one second
 *   holds more than a page or the window needs more than MAX_EXPORT_PAGES calls. Timestamps are whole
 *   seconds on the server's clock, so windows are widened by `skewMs`; the match itself is on client_seed.
 * - Ledger: `/auth/ledger` shows only the agent's last 50 rows. A match is proof; an absence is proof only
 *   when `exhaustive` (fewer than 50 rows exist). Busy agents should reconcile soon after the fact.
 */

export const EXPORT_ROW_LIMIT = 10_000;
export const LEDGER_ROW_LIMIT = 50;
export const DEFAULT_CLOCK_SKEW_MS = 5 * 60_000;
export const MAX_EXPORT_PAGES = 20;

export interface BetWindow {
  since: Date;
  until?: Date;
  game?: GameName | string;
}

export interface ReconcileOptions extends CallOptions {
  /** how far to widen the window each way for clock differences; default 5 min */
  skewMs?: number;
}

/**
 * Finds the bets placed with the given client seeds in one export call (more only for very busy windows).
 * Seeds absent from the result were not placed within the window. If a seed was used twice (a bet sent
 * twice), the first-placed bet is returned.
 */
export async function findBetsByClientSeed(
  casino: Pick<CasinoClient, "exportBets">,
  key: ApiKey,
  clientSeeds: readonly string[],
  window: BetWindow,
  opts: ReconcileOptions = {},
): Promise<Map<string, ExportedBet>> {
  const wanted = new Set(clientSeeds);
  const found = new Map<string, ExportedBet>();
  if (wanted.size === 0) return found;
  const { skewMs = DEFAULT_CLOCK_SKEW_MS, ...call } = opts;
  requireWindow(window, skewMs);

  const since = new Date(window.since.getTime() - skewMs).toISOString();
  let until = window.until ? new Date(window.until.getTime() + skewMs).toISOString() : undefined;
  for (let page = 1; ; page++) {
    const rows = await casino.exportBets(key, { since, until, game: window.game }, call);
    for (const row of rows) {
      const seen = found.get(row.clientSeed);
      if (wanted.has(row.clientSeed) && (!seen || placedBefore(row, seen))) found.set(row.clientSeed, row);
    }
    if (rows.length < EXPORT_ROW_LIMIT || found.size === wanted.size) return found;

    // A full page holds only the newest rows: continue from the oldest second seen. Rows of that second
    // come again on the next page, which the seed match makes harmless.
    const oldest = rows.map((r) => r.timestamp).sort()[0];
    if (oldest === until || page >= MAX_EXPORT_PAGES) {
      throw new FleetError(
        "LIMIT_EXCEEDED",
        `the bet export window ${since} … ${until ?? "now"} holds more bets than can be searched ` +
          `(${EXPORT_ROW_LIMIT} per call, ${MAX_EXPORT_PAGES} calls); ${wanted.size - found.size} client seed(s) unresolved`,
        { hint: "narrow the window (since/until) around when the bets were sent" },
      );
    }
    until = oldest;
  }
}

/** The agent's server ledger rows that belong to `reference` (an escrow id, claim id, transfer id …). */
export async function findLedgerByReference(
  casino: Pick<CasinoClient, "ledger">,
  key: ApiKey,
  reference: string,
  opts: CallOptions = {},
): Promise<LedgerEntry[]> {
  return (await searchLedgerByReference(casino, key, reference, opts)).entries;
}

/**
 * Like findLedgerByReference, and says whether an empty answer proves absence: `exhaustive` is true when the
 * server returned fewer than its 50-row window, i.e. the agent's whole ledger was searched.
 */
export async function searchLedgerByReference(
  casino: Pick<CasinoClient, "ledger">,
  key: ApiKey,
  reference: string,
  opts: CallOptions = {},
): Promise<{ entries: LedgerEntry[]; exhaustive: boolean }> {
  requireText("reference", reference, 200);
  const rows = await casino.ledger(key, opts);
  return { entries: rows.filter((e) => belongsTo(e, reference)), exhaustive: rows.length < LEDGER_ROW_LIMIT };
}

/**
 * An escrow's lock debit has id `<escrow_id>_debit` and reference `<escrow_id>`; its release/refund credits
 * carry the reference too. Faucet claims and transfers may only name it in `reason` (`faucet_claim:<id>`).
 */
function belongsTo(entry: LedgerEntry, reference: string): boolean {
  if (entry.reference === reference || entry.id === reference || entry.id.startsWith(`${reference}_`)) return true;
  return entry.reason.split(/[\s:;,/()[\]]+/).includes(reference);
}

function placedBefore(a: ExportedBet, b: ExportedBet): boolean {
  return a.timestamp === b.timestamp ? a.nonce < b.nonce : a.timestamp < b.timestamp;
}

function requireWindow(window: BetWindow, skewMs: number): void {
  const since = window.since?.getTime?.();
  if (since === undefined || Number.isNaN(since)) {
    throw new FleetError("INVALID_INPUT", `window.since must be a valid Date, got \`${String(window.since)}\``);
  }
  if (window.until !== undefined && !(window.until.getTime() >= since)) {
    throw new FleetError(
      "INVALID_INPUT",
      `window.until must be a Date at or after window.since, got \`${String(window.until)}\``,
    );
  }
  if (!Number.isFinite(skewMs) || skewMs < 0) {
    throw new FleetError("INVALID_INPUT", `skewMs must be a number of milliseconds ≥ 0, got \`${skewMs}\``);
  }
}
