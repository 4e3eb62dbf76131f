import { storageFailure } from "./storage/errors.js";

/**
 * The one domain error type. Every failure that reaches a tool, a job row or a log line is a FleetError,
 * so callers decide on `code` and `kind`, never on message text.
 */

export type FleetErrorCode =
  | "INVALID_INPUT"
  | "NOT_FOUND"
  | "UNAUTHORIZED"
  | "FORBIDDEN"
  | "CONFLICT"
  | "LIMIT_EXCEEDED"
  | "KELLY_LIMIT_EXCEEDED"
  | "INSUFFICIENT_BALANCE"
  | "TRADING_PAUSED"
  | "RATE_LIMITED"
  | "UPSTREAM_REJECTED"
  | "UPSTREAM_UNAVAILABLE"
  | "OUTCOME_UNKNOWN"
  | "TIMEOUT"
  | "CANCELLED"
  /** live mode: a money move above PF_CONFIRM_ABOVE_USD needs the user's yes (elicitation or a dry run's token) */
  | "CONFIRMATION_REQUIRED"
  /** the user declined (or dismissed) the confirmation of a money move; nothing was sent */
  | "CONFIRMATION_DECLINED"
  /** the shared database (PostgreSQL) is down or unreachable; nothing was changed unless the error says so */
  | "STORAGE_UNAVAILABLE"
  /** the database's disk (or quota) is full; the failed write was not committed */
  | "STORAGE_FULL"
  /** the database cannot be written (permissions, read-only mount, a PostgreSQL standby) */
  | "STORAGE_READ_ONLY"
  /** the database's disk reported an I/O error */
  | "STORAGE_IO_ERROR"
  | "INTERNAL";

/**
 * How a failed upstream call may be treated.
 * - permanent: the server refused it (validation, auth, balance, Kelly cap); never retry.
 * - rate_limited: refused for now; wait `retryAfterMs`, then retry without spending an attempt.
 * - retryable: proven not processed (connection refused, DNS failure); safe to send again.
 * - ambiguous: the request may have been processed (timeout/reset after sending, 5xx); reconcile first.
 */
export type FailureKind = "permanent" | "rate_limited" | "retryable" | "ambiguous";

export interface FleetErrorOptions {
  hint?: string;
  kind?: FailureKind;
  /** HTTP status of the upstream response, when there was one. */
  status?: number;
  /** The upstream's own `error` code (snake_case), when there was one. */
  upstreamCode?: string;
  retryAfterMs?: number;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class FleetError extends Error {
  override readonly name = "FleetError";
  readonly code: FleetErrorCode;
  readonly hint: string | undefined;
  readonly kind: FailureKind;
  readonly status: number | undefined;
  readonly upstreamCode: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: FleetErrorCode, message: string, opts: FleetErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.hint = opts.hint;
    this.kind = opts.kind ?? defaultKind(code);
    this.status = opts.status;
    this.upstreamCode = opts.upstreamCode;
    this.retryAfterMs = opts.retryAfterMs;
    this.details = opts.details;
  }

  /** True when sending the same request again cannot move money twice. */
  get retryable(): boolean {
    return this.kind === "retryable" || this.kind === "rate_limited";
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      kind: this.kind,
      retryable: this.retryable,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.status ? { status: this.status } : {}),
      ...(this.upstreamCode ? { upstream_code: this.upstreamCode } : {}),
      ...(this.retryAfterMs !== undefined ? { retry_after_ms: this.retryAfterMs } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

function defaultKind(code: FleetErrorCode): FailureKind {
  switch (code) {
    case "RATE_LIMITED":
      return "rate_limited";
    case "UPSTREAM_UNAVAILABLE":
      return "retryable";
    case "OUTCOME_UNKNOWN":
    case "TIMEOUT":
      return "ambiguous";
    default:
      return "permanent";
  }
}

/** Wraps anything thrown into a FleetError without losing the original as `cause`. */
export function toFleetError(err: unknown): FleetError {
  if (err instanceof FleetError) return err;
  if (err instanceof Error && err.name === "AbortError") {
    return new FleetError("CANCELLED", "the operation was cancelled", { cause: err, kind: "ambiguous" });
  }
  const message = err instanceof Error ? err.message : String(err);
  const storage = storageFailure(err);
  if (storage) {
    // whether anything a money job sent before the failed write was processed is unknown: it is reconciled
    return new FleetError(storage.code, `the database failed (${storage.driverCode}): ${message}`, {
      hint: storage.hint,
      kind: "ambiguous",
      cause: err,
    });
  }
  return new FleetError("INTERNAL", message, { cause: err });
}
