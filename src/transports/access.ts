import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";

/**
 * Who may talk to the HTTP transport: a bearer token (when configured) and Host/Origin checks against DNS
 * rebinding — a web page on evil.example that resolves its own name to 127.0.0.1 must not reach a loopback
 * server, so the Host header must name this server and a browser's Origin must be one of ours.
 */

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]", "::1"];

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || (isIP(h) === 4 && h.startsWith("127."));
}

export interface AccessPolicy {
  /** Host header names (no port) that reach this server; empty = any (a wildcard bind with a token) */
  allowedHostNames: string[];
  token: string | undefined;
}

export function accessPolicy(bindHost: string, token: string | undefined, extraHosts: string[] = []): AccessPolicy {
  const wildcard = bindHost === "0.0.0.0" || bindHost === "::";
  const names = wildcard && extraHosts.length === 0 ? [] : [...LOOPBACK_NAMES, bindHost, ...extraHosts];
  return { allowedHostNames: [...new Set(names.map((n) => n.toLowerCase()))], token };
}

/** The host name of a Host header or an Origin's authority, without port and brackets kept for IPv6. */
function hostName(authority: string): string {
  const a = authority.trim().toLowerCase();
  if (a.startsWith("[")) return a.slice(0, a.indexOf("]") + 1);
  return a.split(":")[0] ?? a;
}

/** null when the request's Host and Origin are acceptable, else why not. */
export function checkHostAndOrigin(req: IncomingMessage, policy: AccessPolicy): string | null {
  const host = req.headers.host;
  if (!host) return "missing Host header";
  if (policy.allowedHostNames.length && !policy.allowedHostNames.includes(hostName(host))) {
    return `Host \`${host}\` is not one of this server's names`;
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== "null") {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `Origin \`${origin}\` is not a URL`;
    }
    const allowed = policy.allowedHostNames.length
      ? policy.allowedHostNames.includes(hostName(originHost))
      : originHost === host.toLowerCase();
    if (!allowed) return `Origin \`${origin}\` may not call this server`;
  } else if (origin === "null") {
    return "Origin `null` (a sandboxed or file page) may not call this server";
  }
  return null;
}

/** The bearer token from `Authorization`, or (dashboard pages only) from the login cookie. */
export function presentedToken(req: IncomingMessage, allowCookie: boolean): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith("Bearer ")) return auth.slice(7).trim();
  if (!allowCookie) return undefined;
  const cookie = req.headers.cookie ?? "";
  for (const part of cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === DASHBOARD_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

export const DASHBOARD_COOKIE = "pf_fleet_token";

export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
