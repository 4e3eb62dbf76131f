import { FleetError } from "../errors.js";
import { type JobState, TERMINAL_STATES } from "./types.js";

/**
 * Every legal move between job states. A same-state move (queued → queued) is a reschedule: the job waits for
 * rate-limit tokens or a reconciliation retry; it is recorded like any other transition.
 */
const LEGAL: Record<JobState, readonly JobState[]> = {
  queued: ["queued", "running", "cancelled", "expired"],
  retrying: ["retrying", "running", "cancelled", "expired"],
  running: ["succeeded", "failed", "dead", "retrying", "cancelled", "unknown"],
  waiting: ["succeeded", "failed", "cancelled"],
  // the dead-letter and unknown queues can be sent round again; `unknown` only ever into reconciliation;
  // a chain stopped by a failed step waits again when that step is retried
  failed: ["queued", "waiting"],
  dead: ["queued"],
  unknown: ["retrying"],
  succeeded: [],
  cancelled: [],
  expired: [],
};

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}

export function canTransition(from: JobState, to: JobState): boolean {
  return LEGAL[from].includes(to);
}

export function assertTransition(jobId: string, from: JobState, to: JobState): void {
  if (!canTransition(from, to)) {
    throw new FleetError("CONFLICT", `job ${jobId} cannot go from \`${from}\` to \`${to}\``, {
      hint: `from \`${from}\` a job can go to: ${LEGAL[from].join(", ") || "nothing (it is final)"}`,
    });
  }
}
