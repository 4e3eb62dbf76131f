/**
 * How the console shows values that every read model shares: times as ISO strings, money in USD, error texts
 * without secrets, and job args/results with their micro-USD fields converted.
 */
import { redactSecrets } from "../../log.js";
import { microsToUsd } from "../../money.js";

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** micro-USD → USD, or null */
export function usd(micros: number | null | undefined): number | null {
  return micros === null || micros === undefined ? null : microsToUsd(micros);
}

/** the integer micro-USD fields of task args and results (src/jobs/tasks/args.ts, aggregate-bet-results.ts) */
const MICROS_FIELDS = new Set([
  "amount",
  "stake",
  "payout",
  "net",
  "fee",
  "lowBalance",
  "wagered",
  "returned",
  "totalPnl",
  "amountReleased",
  "commission",
  "netToCounterparty",
  "balance",
  "maxBet",
  "maxBatch",
  "dailyLossLimit",
  "fleetDailyLossLimit",
]);

/** field names that could only hold a credential: dropped whatever they hold (args never should) */
const SECRET_FIELD = /^(api_?key|apikey|secret|password|token|authorization|key)$/i;

/** a canvas result can list thousands of members; the detail view shows this many of any one list */
export const MAX_LIST = 200;

/**
 * Args or a result as the console shows them: `amount: 500000` becomes `amount_usd: 0.5`, strings lose anything
 * shaped like a key, lists are cut at MAX_LIST with a note of how many were left out.
 */
export function moneyView(value: unknown, depth = 0): unknown {
  if (depth > 12) return "…";
  if (typeof value === "string") return redactSecrets(value);
  if (Array.isArray(value)) {
    const shown = value.slice(0, MAX_LIST).map((v) => moneyView(v, depth + 1));
    if (value.length > MAX_LIST) shown.push(`… ${value.length - MAX_LIST} more`);
    return shown;
  }
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [field, v] of Object.entries(value)) {
    if (SECRET_FIELD.test(field)) continue;
    if (MICROS_FIELDS.has(field) && Number.isSafeInteger(v)) out[`${field}_usd`] = microsToUsd(v as number);
    else out[field] = moneyView(v, depth + 1);
  }
  return out;
}

export interface ErrorView {
  code: string;
  message: string;
  hint: string | null;
}

/** a job's stored error as the console shows it: code, message and hint, secrets redacted */
export function errorView(error: Record<string, unknown> | null): ErrorView | null {
  if (!error) return null;
  const text = (v: unknown) => (typeof v === "string" ? redactSecrets(v) : null);
  return {
    code: typeof error.code === "string" ? error.code : "INTERNAL",
    message: text(error.message) ?? "",
    hint: text(error.hint),
  };
}
