import { z } from "zod";
import { FleetError } from "../errors.js";
import { redactSecrets } from "../log.js";
import { ambiguityHint, type CallContext, callDetails, describeCall } from "./call-context.js";

/**
 * Failures without a usable HTTP answer: the connection, the deadline, the caller's cancellation, or a
 * success body we cannot read. The question each answers is whether the request can have been processed.
 */

/** Raised while connecting or resolving: the request never left this process. */
const NOT_SENT_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "UND_ERR_CONNECT_TIMEOUT",
]);

/** undici's own header/body timers (ours normally fire first). */
const TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

export type AbortCause = "timeout" | "cancelled";

export function errorFromNetwork(
  ctx: CallContext,
  err: unknown,
  abort: AbortCause | undefined,
  timeoutMs: number,
): FleetError {
  const call = describeCall(ctx);
  const details = callDetails(ctx);
  const lossKind = ctx.effect === "none" ? "retryable" : "ambiguous";

  if (abort === "cancelled") {
    return new FleetError("CANCELLED", `${call} was cancelled before its answer arrived`, {
      cause: err,
      details,
      kind: lossKind,
      hint: ctx.effect === "none" ? undefined : ambiguityHint(ctx.effect),
    });
  }

  const codes = errorCodes(err);
  if (abort === "timeout" || codes.some((c) => TIMEOUT_CODES.has(c))) {
    return new FleetError("TIMEOUT", `${call}: no complete answer within ${timeoutMs} ms`, {
      cause: err,
      details,
      kind: lossKind,
      hint: ctx.effect === "none" ? "safe to retry" : ambiguityHint(ctx.effect),
    });
  }

  const code = codes[0] ?? "unknown";
  const reason = redactSecrets(err instanceof Error ? err.message : String(err));
  if (codes.some((c) => NOT_SENT_CODES.has(c))) {
    return new FleetError("UPSTREAM_UNAVAILABLE", `${call}: could not connect (${code}: ${reason}); nothing was sent`, {
      cause: err,
      details,
      kind: "retryable",
      hint: `the ${ctx.service} service is unreachable; check its base URL or retry later`,
    });
  }
  if (ctx.effect === "none") {
    return new FleetError("UPSTREAM_UNAVAILABLE", `${call}: connection failed (${code}: ${reason})`, {
      cause: err,
      details,
      kind: "retryable",
      hint: "safe to retry",
    });
  }
  return new FleetError(
    "OUTCOME_UNKNOWN",
    `${call}: connection failed after the request was sent (${code}: ${reason})`,
    { cause: err, details, kind: "ambiguous", hint: ambiguityHint(ctx.effect) },
  );
}

/** The caller's signal was already aborted: nothing was sent, so sending later is safe. */
export function cancelledBeforeSend(ctx: CallContext): FleetError {
  return new FleetError("CANCELLED", `${describeCall(ctx)} was cancelled before it was sent`, {
    details: callDetails(ctx),
    kind: "retryable",
  });
}

/**
 * A 2xx whose body is not what the API documents. The server acted on the request, so for a money call
 * the result is unknown until reconciled; a read can simply be asked again.
 */
export function errorFromUnreadableBody(ctx: CallContext, status: number, err: unknown): FleetError {
  const why = err instanceof z.ZodError ? z.prettifyError(err).replace(/\s+/g, " ") : String(err);
  const reason = redactSecrets(why.length > 300 ? `${why.slice(0, 300)}…` : why);
  const message = `${describeCall(ctx)} → ${status}, but the body is not the documented shape: ${reason}`;
  if (ctx.effect === "none") {
    return new FleetError("UPSTREAM_UNAVAILABLE", message, {
      cause: err,
      status,
      details: callDetails(ctx),
      kind: "retryable",
    });
  }
  return new FleetError("OUTCOME_UNKNOWN", message, {
    cause: err,
    status,
    details: callDetails(ctx),
    kind: "ambiguous",
    hint: `the server accepted the request; ${ambiguityHint(ctx.effect)}`,
  });
}

/** `code` of the error, of its cause, and of each member of an AggregateError (Happy Eyeballs connects). */
function errorCodes(err: unknown): string[] {
  const out: string[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (typeof e !== "object" || e === null || depth > 3) return;
    const { code, cause, errors } = e as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === "string") out.push(code);
    visit(cause, depth + 1);
    if (Array.isArray(errors)) for (const member of errors) visit(member, depth + 1);
  };
  visit(err, 0);
  return out;
}
