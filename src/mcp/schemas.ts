/**
 * zod fragments shared by tool input schemas, so every tool words the same constraint the same way. Messages
 * name the expectation; `describeIssues` (tool.ts) appends the value received.
 */
import { z } from "zod";
import { agentId as agentIdArg } from "../jobs/tasks/args.js";
import { MICROS_PER_USD, type Micros } from "../money.js";

/** MCP hosts drop a call near 60 s, so no tool waits longer than this. */
export const MAX_WAIT_SECONDS = 50;
export const DEFAULT_WAIT_SECONDS = 20;

export const waitSeconds = z
  .number()
  .min(0, `must be a number of seconds from 0 to ${MAX_WAIT_SECONDS}`)
  .max(MAX_WAIT_SECONDS, `must be a number of seconds from 0 to ${MAX_WAIT_SECONDS} (MCP hosts drop calls near 60 s)`)
  .default(DEFAULT_WAIT_SECONDS)
  .describe(`seconds to wait before returning the job id (0–${MAX_WAIT_SECONDS}); the job keeps running either way`);

export interface UsdOptions {
  /** smallest accepted amount, USD (default 0.01, the casino's minimum bet) */
  min?: number;
  /** largest accepted amount, USD */
  max?: number;
}

/**
 * A USD amount as the model writes it (`1.5` = one dollar fifty, not cents) → integer micro-USD. Rejects
 * strings, non-finite numbers, anything below `min` or above `max`, and precision finer than a micro-dollar.
 */
export function usd(opts: UsdOptions = {}) {
  const min = opts.min ?? 0.01;
  const range = opts.max === undefined ? `≥ ${min} USD` : `from ${min} to ${opts.max} USD`;
  const expectation = `must be a number ${range} (USD, not cents)`;
  let schema = z.number({ error: expectation }).min(min, expectation);
  if (opts.max !== undefined) schema = schema.max(opts.max, expectation);
  return schema
    .refine((v) => Number.isFinite(v) && Math.abs(v * MICROS_PER_USD - Math.round(v * MICROS_PER_USD)) < 1e-6, {
      message: "must have at most 6 decimal places (micro-dollar precision)",
    })
    .transform((v): Micros => Math.round(v * MICROS_PER_USD));
}

export const agentId = agentIdArg.describe("casino agent id (`ag_…`) of a fleet agent; see list_agents");

/** Cursor pagination, shared by every listing tool. */
export const pageLimit = (max = 200, fallback = 50) =>
  z
    .number()
    .int(`must be a whole number from 1 to ${max}`)
    .min(1, `must be a whole number from 1 to ${max}`)
    .max(max, `must be a whole number from 1 to ${max}`)
    .default(fallback)
    .describe(`rows per page, 1–${max} (default ${fallback})`);

export const cursor = z
  .string()
  .min(1, "must be the `next_cursor` of a previous page")
  .optional()
  .describe("`next_cursor` from the previous page; omit for the first page");

/** The mode every money tool states in its result. */
export const modeField = z.enum(["sandbox", "live"]);
