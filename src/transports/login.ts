import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Authenticator } from "./authenticate.js";
import { BodyError, readTextBody, redirect, sendHtml, sendRpcError } from "./respond.js";

/**
 * The dashboard's browser login. `GET /login` shows a form; `POST /login` carries the token in the body (never
 * the URL, which browser history and proxy logs keep), and a right one gets an opaque random session id as an
 * `HttpOnly; SameSite=Strict` cookie. The cookie maps to a server-side entry that expires; it opens the
 * console only, never `/mcp`, and never holds the token itself.
 */

export const LOGIN_COOKIE = "pf_fleet_session";
/** a dashboard sign-in lasts a working day */
const LOGIN_TTL_MS = 12 * 3_600_000;
/** signed-in browsers remembered at once; past this the oldest is signed out */
const MAX_LOGINS = 1_000;
const MAX_FORM_BYTES = 4_096;

const LOGIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

export interface Logins {
  isSignedIn(req: IncomingMessage): boolean;
  /** the signed-in browser's session id (what the console's CSRF token is bound to), else undefined */
  sessionId(req: IncomingMessage): string | undefined;
  /** `GET`/`HEAD`/`POST /login` */
  handle(req: IncomingMessage, res: ServerResponse, clientAddress: string): Promise<void>;
}

export function createLogins(auth: Authenticator, opts: { secureCookie: boolean; now?: () => number }): Logins {
  const now = opts.now ?? Date.now;
  const sessions = new Map<string, number>(); // id → expiry; insertion order is age

  function open(): string {
    const at = now();
    for (const [id, expires] of sessions) if (expires <= at) sessions.delete(id);
    if (sessions.size >= MAX_LOGINS) sessions.delete(sessions.keys().next().value as string);
    const id = randomBytes(32).toString("base64url");
    sessions.set(id, at + LOGIN_TTL_MS);
    return id;
  }

  function sessionId(req: IncomingMessage): string | undefined {
    const id = cookieValue(req, LOGIN_COOKIE);
    if (id === undefined) return undefined;
    const expires = sessions.get(id);
    if (expires === undefined) return undefined;
    if (expires <= now()) {
      sessions.delete(id);
      return undefined;
    }
    return id;
  }

  const isSignedIn = (req: IncomingMessage) => sessionId(req) !== undefined;

  async function handle(req: IncomingMessage, res: ServerResponse, clientAddress: string): Promise<void> {
    if (!auth.required) return redirect(res, "/");
    if (req.method !== "POST") return sendHtml(res, loginPage(), { csp: LOGIN_CSP });
    const crossSite = crossSiteReason(req);
    if (crossSite) return sendRpcError(res, 403, `forbidden: ${crossSite}`);
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers["content-type"] ?? "")) {
      return sendRpcError(res, 415, "POST /login takes a form (application/x-www-form-urlencoded) with `token`");
    }
    let form: URLSearchParams;
    try {
      form = new URLSearchParams(await readTextBody(req, MAX_FORM_BYTES));
    } catch (err) {
      if (err instanceof BodyError) return sendRpcError(res, err.status, err.message);
      throw err;
    }
    const outcome = await auth.check(clientAddress, form.get("token")?.trim() || undefined);
    switch (outcome.kind) {
      case "ok": {
        const cookie = [
          `${LOGIN_COOKIE}=${open()}`,
          "HttpOnly",
          "SameSite=Strict",
          "Path=/",
          `Max-Age=${LOGIN_TTL_MS / 1000}`,
          ...(opts.secureCookie ? ["Secure"] : []),
        ].join("; ");
        return redirect(res, "/", { "set-cookie": cookie });
      }
      case "throttled":
        return sendHtml(res, loginPage(`Too many wrong tokens; try again in ${outcome.retryAfterSeconds} s.`), {
          status: 429,
          csp: LOGIN_CSP,
          headers: { "retry-after": String(outcome.retryAfterSeconds) },
        });
      case "unavailable":
        return sendHtml(res, loginPage("The token cannot be checked right now; try again shortly."), {
          status: 503,
          csp: LOGIN_CSP,
          headers: { "retry-after": "10" },
        });
      default:
        return sendHtml(res, loginPage("Wrong token."), { status: 401, csp: LOGIN_CSP });
    }
  }

  return { isSignedIn, sessionId, handle };
}

/**
 * CSRF guard for the login POST and the console's actions, beside the cookie's SameSite=Strict: a browser
 * names the page that sent a request (`Sec-Fetch-Site`, `Origin`); only this server's own page may sign in or
 * act. Clients that are not browsers send neither and cannot be tricked by a page.
 */
export function crossSiteReason(req: IncomingMessage): string | null {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none")
    return `a ${site} page may not sign in or act here`;
  const origin = req.headers.origin;
  if (origin === undefined) return null;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return "the Origin header is not a URL";
  }
  return host === req.headers.host?.toLowerCase() ? null : "only this server's own login page may sign in";
}

function cookieValue(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function loginPage(message = ""): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pf-fleet · sign in</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 3rem auto; max-width: 24rem; color: #222; }
  input { width: 100%; padding: .4rem; margin: .4rem 0 .8rem; box-sizing: border-box; }
  .bad { color: #b00020; } .muted { color: #777; }
</style>
</head>
<body>
<h1>pf-fleet dashboard</h1>
<form method="post" action="/login">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
<p class="bad">${message}</p>
<p class="muted">The server's PF_HTTP_TOKEN (or an OAuth access token). It is sent once, in this form; the browser
keeps only a random session cookie, valid for ${LOGIN_TTL_MS / 3_600_000} hours.</p>
</body>
</html>
`;
}
