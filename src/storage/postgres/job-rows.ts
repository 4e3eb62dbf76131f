/**
 * How PostgreSQL stores a `StoredJob`: flags are BOOLEAN, and BIGINT/INTEGER columns come back as numbers
 * (connection.ts). The field → column map and the decoding are shared with SQLite (../job-rows.ts).
 */

import { JOB_FIELDS as FIELDS, JOB_COLUMNS } from "../job-rows.js";
import type { StoredJob } from "../jobs.js";

export { decodeJob } from "../job-rows.js";

function encodeValue(field: keyof StoredJob, value: unknown): unknown {
  const [, codec] = JOB_COLUMNS[field];
  if (codec === "bool") return Boolean(value);
  if (codec === "json") return value === undefined || value === null ? null : JSON.stringify(value);
  return value === undefined ? null : value;
}

/**
 * `a = $1, b = $2, …` for an UPDATE's SET, its parameters appended to `params` (so the WHERE numbers on after
 * them), and the patched fields as a read of the row would return them (JSON columns parsed back from what is
 * stored, so a caller's copy is exactly what another reader sees).
 */
export function encodePatch(
  patch: Record<string, unknown>,
  params: unknown[],
): { assignments: string; values: Record<string, unknown> } {
  const assignments: string[] = [];
  const values: Record<string, unknown> = {};
  for (const field in patch) {
    const value = patch[field];
    if (value === undefined) continue;
    const spec = JOB_COLUMNS[field as keyof StoredJob];
    if (!spec) throw new Error(`unknown job field \`${field}\``);
    const [column, codec] = spec;
    const stored = encodeValue(field as keyof StoredJob, value);
    assignments.push(`${column} = $${params.push(stored)}`);
    values[field] = codec === "json" && stored !== null ? JSON.parse(stored as string) : stored;
  }
  return { assignments: assignments.join(", "), values };
}

/** Every column of a job row; `insertValues` gives the values in this order. */
export const INSERT_JOB_SQL = `INSERT INTO jobs (${FIELDS.map((f) => JOB_COLUMNS[f][0]).join(", ")})
  VALUES (${FIELDS.map((_, i) => `$${i + 1}`).join(", ")})`;

export function insertValues(job: StoredJob): unknown[] {
  return FIELDS.map((field) => encodeValue(field, job[field]));
}
