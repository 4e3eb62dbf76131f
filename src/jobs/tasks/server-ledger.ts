/**
 * What reconciliations share about the server's ledger. Its rows are read through the mirror
 * (src/ledger/server-mirror.ts, synced by ledger-sync.ts), which keeps what the server's 50-row window drops.
 */

/** Server times are whole seconds of another clock: a reconciliation looks this much further back. */
export const CLOCK_MARGIN_MS = 5 * 60_000;

/** The tag pf-fleet puts in escrow descriptions and transfer memos so the server's records name the request. */
export function requestTag(requestId: string): string {
  return `[pf:${requestId}]`;
}
