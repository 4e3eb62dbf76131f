/** How SQLite stores a `StoredJob` (flags as 0/1); the columns and decoding are shared (../job-rows.ts). */
import { JOB_FIELDS as FIELDS, JOB_COLUMNS } from "../job-rows.js";
import type { StoredJob } from "../jobs.js";

export { decodeJob } from "../job-rows.js";

export function encodeValue(field: keyof StoredJob, value: unknown): unknown {
  const [, codec] = JOB_COLUMNS[field];
  if (codec === "bool") return value ? 1 : 0;
  if (codec === "json") return value === undefined || value === null ? null : JSON.stringify(value);
  return value === undefined ? null : value;
}

/**
 * `a = ?, b = ?, …` for an UPDATE's SET, its parameters in that order, and the patched fields as a read of the
 * row would return them (JSON columns parsed back from what is stored, so a caller's copy is exactly what
 * another reader sees).
 */
export function encodePatch(patch: Record<string, unknown>): {
  assignments: string;
  params: unknown[];
  values: Record<string, unknown>;
} {
  let assignments = "";
  const params: unknown[] = [];
  const values: Record<string, unknown> = {};
  for (const field in patch) {
    const value = patch[field];
    if (value === undefined) continue;
    const spec = JOB_COLUMNS[field as keyof StoredJob];
    if (!spec) throw new Error(`unknown job field \`${field}\``);
    const [column, codec] = spec;
    const stored = encodeValue(field as keyof StoredJob, value);
    assignments += `${assignments ? ", " : ""}${column} = ?`;
    params.push(stored);
    if (codec === "json") values[field] = stored === null ? null : JSON.parse(stored as string);
    else values[field] = codec === "bool" ? stored === 1 : stored;
  }
  return { assignments, params, values };
}

/** Every column of a job row; `insertValues` gives the values in this order. */
export const INSERT_JOB_SQL = `INSERT INTO jobs (${FIELDS.map((f) => JOB_COLUMNS[f][0]).join(", ")})
  VALUES (${FIELDS.map(() => "?").join(", ")})`;

export function insertValues(job: StoredJob): unknown[] {
  return FIELDS.map((field) => encodeValue(field, job[field]));
}
