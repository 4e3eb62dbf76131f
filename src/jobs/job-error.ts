import { type FleetError, toFleetError } from "../errors.js";
import { redactSecrets } from "../log.js";

/** The `error` column of a job: a FleetError's JSON, with anything shaped like a key removed. */
export type JobError = ReturnType<FleetError["toJSON"]>;

export function jobError(err: unknown): JobError {
  const json = toFleetError(err).toJSON();
  for (const field of ["message", "hint"] as const) {
    if (typeof json[field] === "string") json[field] = redactSecrets(json[field] as string);
  }
  return json;
}

/** Short human text of a stored job error, for reasons and alerts. */
export function describeJobError(error: JobError | null | undefined): string {
  if (!error) return "no error recorded";
  const code = typeof error.code === "string" ? error.code : "ERROR";
  return `${code}: ${typeof error.message === "string" ? error.message : "(no message)"}`;
}

/** An error's message for a log line or a reason, with anything shaped like a key removed. */
export function errorText(err: unknown): string {
  return redactSecrets(err instanceof Error ? err.message : String(err));
}
