import { createHash, timingSafeEqual } from "node:crypto";
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
export function checkHostAndOrigin(
  req: IncomingMessage,
  policy: AccessPolicy,
  opts: { checkOrigin: boolean } = { checkOrigin: true },
): string | null {
  const host = req.headers.host;
  if (!host) return "missing Host header";
  if (policy.allowedHostNames.length && !policy.allowedHostNames.includes(hostName(host))) {
    return `Host \`${host.slice(0, 100)}\` is not one of this server's names`;
  }
  if (!opts.checkOrigin) return null;
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

/**
 * The bearer token from `Authorization`. The scheme name is case-insensitive (RFC 7235 §2.1), so `bearer x`
 * works like `Bearer x`. Tokens are read from this header only, never from a URL.
 */
export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? "");
  return match?.[1];
}

/** Constant time, whatever the lengths: both sides are hashed first, so not even the token's length leaks. */
export function tokenMatches(expected: string, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const a = createHash("sha256").update(expected).digest();
  const b = createHash("sha256").update(presented).digest();
  return timingSafeEqual(a, b);
}
