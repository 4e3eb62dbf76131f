/**
 * A job as the tools that run one report it: its id and state, whether it finished within the wait, and —
 * when it ended without succeeding — the error, turned into the tool's own error result.
 */
import { z } from "zod";
import { FleetError, type FleetErrorCode } from "../src/errors.js";
import type { JobRow } from "../src/jobs/types.js";
import { type AwaitedJob, pendingSummary } from "../src/mcp/wait.js";

/** The job a tool ran, as every job-running tool reports it. */
export const jobView = z.object({
  job_id: z.string(),
  state: z.string().describe("queued | running | succeeded | failed | dead | cancelled | unknown | waiting …"),
  finished: z.boolean().describe("false: still running after wait_seconds; poll job_status with job_id"),
  error: z.object({ code: z.string(), message: z.string(), hint: z.string().optional() }).optional(),
});
export type JobView = z.output<typeof jobView>;

export function toJobView(a: { job: JobRow; finished: boolean }): JobView {
  const err = a.job.error;
  return {
    job_id: a.job.id,
    state: a.job.state,
    finished: a.finished,
    ...(err
      ? {
          error: {
            code: String(err.code),
            message: String(err.message),
            ...(typeof err.hint === "string" ? { hint: err.hint } : {}),
          },
        }
      : {}),
  };
}

/** One sentence on where a job stands, for the text summaries. */
export function jobSentence(a: AwaitedJob): string {
  if (!a.finished) return pendingSummary(a);
  if (a.job.state === "succeeded") return `job ${a.job.id} succeeded`;
  const err = a.job.error;
  return `job ${a.job.id} ${a.job.state}${err ? `: ${err.code} ${err.message}${err.hint ? ` (hint: ${err.hint})` : ""}` : ""}`;
}

/** Turns a job that ended without succeeding into the tool's error, naming the job so it can be inspected. */
export function failedJobError(job: JobRow): FleetError {
  const err = job.error;
  const code = (err ? String(err.code) : job.state === "unknown" ? "OUTCOME_UNKNOWN" : "INTERNAL") as FleetErrorCode;
  const hint = err && typeof err.hint === "string" ? `${err.hint}; ` : "";
  return new FleetError(code, `job ${job.id} ${job.state}: ${err ? String(err.message) : "no error recorded"}`, {
    hint: `${hint}job_status ${job.id} shows its history`,
    kind: job.state === "unknown" ? "ambiguous" : "permanent",
  });
}
