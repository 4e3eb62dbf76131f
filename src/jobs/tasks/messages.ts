import { redactSecrets } from "../../log.js";

/** A thrown value as one line for a reconciliation reason or a report; keys are redacted. */
export function errorMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return redactSecrets(text);
}
