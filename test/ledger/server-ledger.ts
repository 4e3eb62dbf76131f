import type { LedgerEntry } from "../../src/purpleflea/types.js";
import { utc } from "./helpers.js";

/** Server ledger rows (GET /auth/ledger, amounts converted to micros by the client) for the import tests. */
export const OPENED = utc("2026-11-23T10:00:00.500Z");
export const ESC1 = "esc_1111111111111111";
export const ESC2 = "esc_2222222222222222";

/** ISO time `minutes` after the opening balance. */
export const at = (minutes: number) => new Date(OPENED + minutes * 60_000).toISOString();

/** A server row; `delta` is what it did to the server balance, by the test's own arithmetic. */
export type Row = LedgerEntry & { delta: number };

export function serverRow(
  id: string,
  type: string,
  amount: number,
  service: string,
  reason: string,
  more: { reference?: string; at?: string; delta?: number } = {},
): Row {
  const sign = type === "credit" ? 1 : type === "debit" ? -1 : 0;
  return {
    id,
    type,
    amount,
    balanceAfter: 0,
    reason,
    reference: more.reference ?? null,
    service,
    at: more.at ?? at(0),
    delta: more.delta ?? sign * amount,
  };
}
