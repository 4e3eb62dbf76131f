/**
 * Storage failures every backend may raise that callers act on. A transient conflict (PostgreSQL's deadlock or
 * serialization failure) rolled the whole transaction back, and running it again can succeed; SQLite, with one
 * writer, never raises one.
 */

/** SQLSTATE of `err` or of an error it wraps */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === "string") return code;
  const cause = (err as { cause?: unknown })?.cause;
  return cause === undefined ? undefined : sqlState(cause);
}

export function isTransientConflict(err: unknown): boolean {
  const code = sqlState(err);
  return code === "40001" || code === "40P01"; // serialization_failure, deadlock_detected
}

/**
 * For a catch that turns a failed write into an outcome (a job "failed", a chord "could not be enqueued"): a
 * transient conflict is not such a failure. It must reach the transaction's owner, which runs it again.
 */
export function rethrowTransient(err: unknown): void {
  if (isTransientConflict(err)) throw err;
}
