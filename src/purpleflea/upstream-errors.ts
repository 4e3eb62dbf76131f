import { FleetError, type FleetErrorCode } from "../errors.js";
import { redactSecrets } from "../log.js";
import { ambiguityHint, type CallContext, callDetails, describeCall } from "./call-context.js";

/**
 * Turns an HTTP error response (status outside 2xx) into one FleetError. Purple Flea bodies look like
 * `{error: "<snake_code>", message, suggestion?, ...}`; proxies in front of it may answer HTML instead.
 */

/** Every per-IP and per-agent limiter of the casino and escrow counts over one minute. */
export const RATE_LIMIT_WINDOW_MS = 60_000;
/** The faucet lets one claim per IP per 24 h. */
export const FAUCET_IP_WINDOW_MS = 24 * 3_600_000;

const MAX_UPSTREAM_TEXT = 300;

interface ErrorBody {
  error?: string;
  message?: string;
  suggestion?: string;
  max_bet?: number;
  reset_at?: unknown;
}

export function errorFromResponse(
  ctx: CallContext,
  status: number,
  bodyText: string,
  retryAfterHeader: string | undefined,
  now: number = Date.now(),
): FleetError {
  const body = parseErrorBody(bodyText);
  const upstreamCode = body.error;
  const detail = upstreamDetail(body, bodyText);
  const message = `${describeCall(ctx)} → ${status}${upstreamCode ? ` ${upstreamCode}` : ""}${detail ? `: ${detail}` : ""}`;
  const common = { status, upstreamCode, details: callDetails(ctx) };

  if (status === 429) {
    if (upstreamCode === "ip_rate_limited") {
      return new FleetError("RATE_LIMITED", message, {
        ...common,
        retryAfterMs: FAUCET_IP_WINDOW_MS,
        details: { ...common.details, worthWaiting: false },
        hint: "this IP already claimed a faucet in the last 24 h; not worth waiting for in a tool call — try again tomorrow",
      });
    }
    const retryAfterMs = retryAfter(body.reset_at, retryAfterHeader, now);
    return new FleetError("RATE_LIMITED", message, {
      ...common,
      retryAfterMs,
      hint: `rate limited: wait ${Math.ceil(retryAfterMs / 1000)} s and retry`,
    });
  }

  // 408 and 5xx: the server (or a proxy) may have acted on the request before failing.
  if (status === 408 || status >= 500) {
    if (ctx.effect === "none") {
      return new FleetError("UPSTREAM_UNAVAILABLE", message, {
        ...common,
        kind: "retryable",
        hint: "temporary upstream failure; safe to retry",
      });
    }
    return new FleetError("OUTCOME_UNKNOWN", message, {
      ...common,
      kind: "ambiguous",
      hint: ambiguityHint(ctx.effect),
    });
  }

  const code = codeFor(status, upstreamCode);
  return new FleetError(code, message, { ...common, kind: "permanent", hint: hintFor(code, body, ctx) });
}

function parseErrorBody(text: string): ErrorBody {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== "object" || parsed === null) return {};
    const o = parsed as Record<string, unknown>;
    return {
      error: typeof o.error === "string" ? o.error : undefined,
      message: typeof o.message === "string" ? o.message : undefined,
      suggestion: typeof o.suggestion === "string" ? o.suggestion : undefined,
      max_bet: typeof o.max_bet === "number" ? o.max_bet : undefined,
      reset_at: o.reset_at,
    };
  } catch {
    return {};
  }
}

/** The server's own explanation, or the start of a non-JSON body; keys are redacted, length bounded. */
function upstreamDetail(body: ErrorBody, rawText: string): string {
  const text = body.message ?? body.suggestion ?? (body.error ? "" : rawText.replace(/\s+/g, " ").trim());
  const clipped = text.length > MAX_UPSTREAM_TEXT ? `${text.slice(0, MAX_UPSTREAM_TEXT)}…` : text;
  return redactSecrets(clipped);
}

function codeFor(status: number, upstreamCode: string | undefined): FleetErrorCode {
  if (upstreamCode === "kelly_limit_exceeded") return "KELLY_LIMIT_EXCEEDED";
  if (upstreamCode === "insufficient_balance" || status === 402) return "INSUFFICIENT_BALANCE";
  switch (status) {
    case 400:
    case 422:
      return "INVALID_INPUT";
    case 401:
      return "UNAUTHORIZED";
    case 403:
      return "FORBIDDEN";
    case 404:
      return "NOT_FOUND";
    case 409:
      return "CONFLICT";
    default:
      return "UPSTREAM_REJECTED";
  }
}

/** Short advice for an LLM, by the server's code first, then by our code. */
function hintFor(code: FleetErrorCode, body: ErrorBody, ctx: CallContext): string | undefined {
  switch (body.error) {
    case "kelly_limit_exceeded":
      // a cap below the $0.01 minimum bet allows no stake at all: only money helps (never "≤ $0.00")
      return body.max_bet === undefined
        ? "lower the stake or raise risk_factor (0.1–1.0)"
        : body.max_bet < 0.01
          ? "the balance is too small for any bet (its Kelly cap is below the $0.01 minimum): fund the agent first"
          : `lower the stake to ≤ $${body.max_bet.toFixed(2)} or raise risk_factor (0.1–1.0)`;
    case "minimum_bet":
      return "the smallest stake is $0.01";
    case "invalid_amount":
      return "amount must be a positive number of USD";
    case "already_claimed":
      return "this agent has already claimed the faucet; it pays once per agent, ever";
    case "has_deposits":
      return "the faucet is only for agents that have never deposited";
    case "agent_not_found":
      return "the faucet needs an existing casino agent id (ag_…); register on the casino first";
    case "counterparty_not_found":
      return "the counterparty must be an existing casino agent id (ag_…)";
    case "self_escrow":
      return "the creator and the counterparty must be different agents";
    case "invalid_status":
      return "the escrow's state does not allow this (funded → completed → released; disputed and refunded are final)";
    case "domain_unavailable":
      return "that domain is taken; search for an available one first";
  }
  switch (code) {
    case "INSUFFICIENT_BALANCE":
      return "the balance is too low: fund the agent (deposit, faucet, transfer) or lower the amount";
    case "UNAUTHORIZED":
      return "the key was rejected: casino and escrow take the casino key (sk_live_…), domains its own sk_domains_… key";
    case "FORBIDDEN":
      return ctx.service === "escrow"
        ? "only the counterparty may complete, only the creator may release, only a party may dispute"
        : undefined;
    case "NOT_FOUND":
      return body.error === undefined || body.error === "not_found"
        ? `no such route or object; if the route should exist, check the ${ctx.service} base URL`
        : undefined;
    case "CONFLICT":
      return "the server's state does not allow this request now";
    default:
      return undefined;
  }
}

/**
 * How long a 429 asks us to wait: the casino's `reset_at` (ISO text, or epoch ms/s), else a Retry-After
 * header, else one window. Clamped to [1 s, one window] because every such limiter resets within a
 * minute, and the server's clock (a sandbox's clock may be moved) need not agree with ours.
 */
function retryAfter(resetAt: unknown, header: string | undefined, now: number): number {
  let until: number | undefined;
  if (typeof resetAt === "string") {
    const t = Date.parse(resetAt);
    if (!Number.isNaN(t)) until = t;
  } else if (typeof resetAt === "number" && Number.isFinite(resetAt)) {
    until = resetAt > 1e12 ? resetAt : resetAt * 1000;
  }
  let waitMs = until === undefined ? undefined : until - now;
  if (waitMs === undefined && header !== undefined && /^\d+$/.test(header.trim())) {
    waitMs = Number(header.trim()) * 1000;
  }
  return Math.min(Math.max(waitMs ?? RATE_LIMIT_WINDOW_MS, 1_000), RATE_LIMIT_WINDOW_MS);
}
