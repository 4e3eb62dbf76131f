import { FleetError } from "../errors.js";

/**
 * Input checks shared by the ledger's writers and readers. A bad value is a caller bug that would corrupt
 * the books, so each check throws INVALID_INPUT naming the field, the expectation and the value.
 */

function invalid(field: string, expectation: string, value: unknown): FleetError {
  return new FleetError("INVALID_INPUT", `${field} must be ${expectation}, got \`${show(value)}\``);
}

function show(value: unknown): string {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

export function requireText(field: string, value: unknown): string {
  if (typeof value !== "string" || value.trim() === "") throw invalid(field, "a non-empty string", value);
  return value;
}

/** Whole micro-USD; `sign` restricts it to ≥ 0 or ≤ 0 when the kind of row implies a direction. */
export function requireMicros(field: string, value: unknown, sign: "any" | "nonnegative" | "nonpositive" = "any") {
  const expectation = {
    any: "a whole number of micro-USD",
    nonnegative: "a whole number of micro-USD ≥ 0",
    nonpositive: "a whole number of micro-USD ≤ 0",
  }[sign];
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw invalid(field, expectation, value);
  if ((sign === "nonnegative" && value < 0) || (sign === "nonpositive" && value > 0)) {
    throw invalid(field, expectation, value);
  }
  return value;
}

/** A time in ms since the epoch. */
export function requireTime(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(field, "a time in whole ms since the epoch", value);
  }
  return value;
}

export function requireInteger(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(field, `an integer ${min}–${max}`, value);
  }
  return value;
}

/** The optional [from, to) window shared by every query. */
export function requireWindow(q: { from?: number | undefined; to?: number | undefined }): void {
  if (q.from !== undefined) requireTime("from", q.from);
  if (q.to !== undefined) requireTime("to", q.to);
  if (q.from !== undefined && q.to !== undefined && q.from >= q.to) {
    throw new FleetError("INVALID_INPUT", `from must be before to, got from \`${q.from}\` and to \`${q.to}\``);
  }
}

export function requireAgentIds(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw invalid("agentIds", "an array of agent ids", value);
  for (const [i, id] of value.entries()) requireText(`agentIds[${i}]`, id);
  return value as string[];
}
