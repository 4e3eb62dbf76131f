import type { ServerResponse } from "node:http";
import { tokenMatches } from "./access.js";
import {
  type AuthThrottle,
  type AuthThrottleOptions,
  createAuthThrottle,
  DEFAULT_AUTH_THROTTLE,
} from "./auth-throttle.js";
import type { OAuthResourceServer } from "./oauth.js";
import { sendRpcError } from "./respond.js";

/**
 * Who may call: the static bearer token (`PF_HTTP_TOKEN`), an OAuth access token (resource-server mode), or
 * either when both are configured — the static token for scripts and simple setups, OAuth for remote MCP hosts.
 * Every refused credential counts against its client address (auth-throttle.ts).
 */

export type AuthOutcome =
  | { kind: "ok" }
  | { kind: "missing" }
  | { kind: "refused"; status: 401 | 403; error: "invalid_token" | "insufficient_scope"; description: string }
  | { kind: "throttled"; retryAfterSeconds: number }
  | { kind: "unavailable"; description: string };

export interface Authenticator {
  /** false when neither a token nor OAuth is configured (a loopback bind only) */
  required: boolean;
  oauth: OAuthResourceServer | undefined;
  check(address: string, presented: string | undefined): Promise<AuthOutcome>;
}

export function createAuthenticator(
  token: string | undefined,
  oauth: OAuthResourceServer | undefined,
  throttleOptions: AuthThrottleOptions = DEFAULT_AUTH_THROTTLE,
): Authenticator {
  const throttle: AuthThrottle = createAuthThrottle(throttleOptions);
  return {
    required: Boolean(token || oauth),
    oauth,
    async check(address, presented) {
      if (!token && !oauth) return { kind: "ok" };
      const wait = throttle.retryAfterSeconds(address);
      if (wait > 0) return { kind: "throttled", retryAfterSeconds: wait };
      if (presented === undefined || presented === "") return { kind: "missing" };
      if (token && tokenMatches(token, presented)) return { kind: "ok" };
      if (oauth) {
        const check = await oauth.verify(presented);
        if (check.ok) return { kind: "ok" };
        if (check.status === 503) return { kind: "unavailable", description: check.description };
        throttle.recordFailure(address);
        return { kind: "refused", status: check.status, error: check.error, description: check.description };
      }
      throttle.recordFailure(address);
      return { kind: "refused", status: 401, error: "invalid_token", description: "wrong token" };
    },
  };
}

/** The HTTP answer to every outcome but `ok`. */
export function sendAuthFailure(
  res: ServerResponse,
  auth: Authenticator,
  outcome: Exclude<AuthOutcome, { kind: "ok" }>,
): void {
  const [status, message, headers] = failureResponse(auth, outcome);
  sendRpcError(res, status, message, headers);
}

function failureResponse(
  auth: Authenticator,
  outcome: Exclude<AuthOutcome, { kind: "ok" }>,
): [number, string, Record<string, string>] {
  switch (outcome.kind) {
    case "throttled":
      return [
        429,
        `too many wrong tokens from this address; retry after ${outcome.retryAfterSeconds} s`,
        { "retry-after": String(outcome.retryAfterSeconds) },
      ];
    case "unavailable":
      return [503, `cannot check the access token: ${outcome.description}`, { "retry-after": "10" }];
    case "missing":
      return [
        401,
        `unauthorized: send \`Authorization: Bearer <${credentialName(auth)}>\``,
        { "www-authenticate": challenge(auth) },
      ];
    case "refused":
      return [
        outcome.status,
        `${outcome.status === 403 ? "forbidden" : "unauthorized"}: ${outcome.description}`,
        { "www-authenticate": challenge(auth, outcome) },
      ];
  }
}

function credentialName(auth: Authenticator): string {
  if (!auth.oauth) return "PF_HTTP_TOKEN";
  return "an OAuth access token (see resource_metadata in WWW-Authenticate)";
}

/**
 * `WWW-Authenticate` (RFC 6750 §3): in OAuth mode it carries `resource_metadata` (RFC 9728 §5.1), which MCP
 * clients follow to find the authorization server, and the scopes to ask for.
 */
export function challenge(auth: Authenticator, refused?: { error: string; description: string }): string {
  const params: string[] = [];
  if (auth.oauth) {
    params.push(`resource_metadata="${quoted(auth.oauth.metadataUrl)}"`);
    if (auth.oauth.scopes.length) params.push(`scope="${quoted(auth.oauth.scopes.join(" "))}"`);
  } else {
    params.push('realm="pf-fleet"');
  }
  if (refused) params.push(`error="${refused.error}"`, `error_description="${quoted(refused.description)}"`);
  return `Bearer ${params.join(", ")}`;
}

function quoted(value: string): string {
  return value.replace(/[\\"]/g, "\\$&");
}
