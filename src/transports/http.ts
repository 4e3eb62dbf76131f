import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { HttpOAuthConfig } from "../config.js";
import { type ConsolePrincipal, createConsoleRoutes } from "../console/routes.js";
import { FleetError } from "../errors.js";
import type { Logger } from "../log.js";
import type { FleetServer } from "../server.js";
import { accessPolicy, bearerToken, checkHostAndOrigin, isLoopback } from "./access.js";
import type { AuthThrottleOptions } from "./auth-throttle.js";
import { type Authenticator, createAuthenticator, sendAuthFailure } from "./authenticate.js";
import { createLogins, type Logins } from "./login.js";
import { createMcpSessions, DEFAULT_SESSION_LIMITS, type SessionLimits } from "./mcp-sessions.js";
import { createOAuthResourceServer } from "./oauth.js";
import { methodNotAllowed, redirect, sendJson, sendRpcError } from "./respond.js";

export interface HttpOptions {
  port: number;
  host: string;
  /** static bearer token; this or `oauth` is required to bind anywhere but loopback */
  token: string | undefined;
  /** OAuth 2.1 resource-server mode: access tokens from this issuer are accepted (beside the token, if set) */
  oauth?: HttpOAuthConfig;
  /** this server's public MCP URL (the tokens' audience); default `http://<bound address>/mcp` */
  resourceUrl?: string;
  /** extra Host names this server answers to (a DNS name or IP when bound off loopback) */
  allowedHosts?: string[];
  sessions?: SessionLimits;
  /** serve MCP (`/mcp`, `/sse`); false for `pf-fleet dashboard`, which serves the console alone */
  mcp?: boolean;
  /** wrong-token throttling; the default suits production, tests shorten it */
  authThrottle?: AuthThrottleOptions;
  logger: Logger;
}

export interface RunningHttp {
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  /** the canonical MCP URL access tokens must name (OAuth mode) */
  resourceUrl: string;
  server: Server;
  /** open MCP sessions by transport, and the cap */
  sessionCounts(): { streamable: number; sse: number; max: number };
  close(): Promise<void>;
}

type Route = { methods: readonly string[]; auth: "bearer" | "bearer-or-login" | "none" };

const ROUTES: Record<string, Route> = {
  "/mcp": { methods: ["GET", "POST", "DELETE"], auth: "bearer" },
  "/sse": { methods: ["GET"], auth: "bearer" },
  "/messages": { methods: ["POST"], auth: "bearer" },
  "/login": { methods: ["GET", "HEAD", "POST"], auth: "none" },
  "/healthz": { methods: ["GET", "HEAD"], auth: "none" },
};

const MCP_PATHS = new Set(["/mcp", "/sse", "/messages"]);

/** RFC 9728: served here and at any path below it (the path-inserted form for `/mcp` and behind proxies) */
const RESOURCE_METADATA_PATH = "/.well-known/oauth-protected-resource";

/**
 * The HTTP transport on plain node:http: MCP over Streamable HTTP (`/mcp`) and legacy SSE (`/sse` +
 * `/messages`), the operations console (`/`, `/api/…`, `/console/…`; src/console/) with its `/login`,
 * `/healthz`, and in OAuth mode the protected-resource metadata. Every request passes the Host/Origin check;
 * all but `/healthz`, `/login`, the console's static files and the metadata need a credential when one is
 * configured (authenticate.ts).
 */
export async function startHttpServer(fleet: FleetServer, opts: HttpOptions): Promise<RunningHttp> {
  assertBindAllowed(
    opts.host,
    { token: opts.token, oauth: opts.oauth, resourceUrl: opts.resourceUrl },
    opts.allowedHosts,
  );
  const resourceHost = opts.resourceUrl ? [new URL(opts.resourceUrl).hostname] : [];
  const policy = accessPolicy(opts.host, opts.token, [...(opts.allowedHosts ?? []), ...resourceHost]);
  const sessions = createMcpSessions(fleet.createSessionServer, opts.logger, opts.sessions ?? DEFAULT_SESSION_LIMITS);
  const consoleRoutes = createConsoleRoutes(fleet.deps, opts.logger);
  const serveMcp = opts.mcp ?? true;
  // Set once the port is known (the default resource URL names it), before any request is read.
  let auth: Authenticator | undefined;
  let logins: Logins | undefined;
  let readiness: "starting" | "ready" | "failed" = "starting";
  fleet.ready.then(
    () => {
      readiness = "ready";
    },
    () => {
      readiness = "failed";
    },
  );

  /** a fixed route, or a console path (the console checks methods itself: its paths carry ids) */
  function routeOf(pathname: string): Route | null {
    const route = ROUTES[pathname];
    if (route) return serveMcp || !MCP_PATHS.has(pathname) ? route : null;
    if (!consoleRoutes.owns(pathname)) return null;
    return { methods: [], auth: consoleRoutes.isPublic(pathname) ? "none" : "bearer-or-login" };
  }

  function notFoundMessage(pathname: string): string {
    const where = serveMcp
      ? "MCP is served at /mcp (and /sse)"
      : "this is `pf-fleet dashboard`: the console only, at /";
    return `no such path \`${pathname.slice(0, 100)}\`; ${where}`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, auth: Authenticator, logins: Logins): Promise<void> {
    const url = new URL(req.url ?? "/", "http://pf-fleet.invalid");
    const metadataPath =
      url.pathname === RESOURCE_METADATA_PATH || url.pathname.startsWith(`${RESOURCE_METADATA_PATH}/`);
    // The metadata is public and fetched cross-origin by browser-based MCP clients: Host is checked, Origin not.
    const refused = checkHostAndOrigin(req, policy, { checkOrigin: !metadataPath });
    if (refused) return sendRpcError(res, 403, `forbidden: ${refused}`);
    if (metadataPath && auth.oauth) return serveResourceMetadata(req, res, auth);
    const route = routeOf(url.pathname);
    if (!route) return sendRpcError(res, 404, notFoundMessage(url.pathname));
    const method = req.method ?? "GET";
    if (route.methods.length && !route.methods.includes(method)) return methodNotAllowed(res, route.methods);

    // Checked before the credential, and the value never read: the old `/?token=` login put it in URLs.
    if (url.pathname === "/" && url.searchParams.has("token")) {
      return sendRpcError(res, 400, "tokens do not go in URLs (browser history and logs keep them); sign in at /login");
    }
    if (url.pathname === "/login") return logins.handle(req, res, clientAddress(req));
    const loginSession = route.auth === "bearer-or-login" ? logins.sessionId(req) : undefined;
    if (route.auth !== "none" && loginSession === undefined) {
      const outcome = await auth.check(clientAddress(req), bearerToken(req));
      if (outcome.kind !== "ok") {
        if (outcome.kind === "missing" && route.auth === "bearer-or-login" && wantsHtml(req)) {
          return redirect(res, "/login");
        }
        return sendAuthFailure(res, auth, outcome);
      }
    }
    if (consoleRoutes.owns(url.pathname)) {
      const who: ConsolePrincipal =
        loginSession !== undefined
          ? { kind: "login", sessionId: loginSession }
          : auth.required
            ? { kind: "bearer" }
            : { kind: "open" };
      return consoleRoutes.handle(req, res, url, who);
    }

    switch (url.pathname) {
      case "/mcp":
        return sessions.handleStreamable(req, res);
      case "/sse":
        return sessions.openSse(req, res);
      case "/messages":
        return sessions.postSseMessage(req, res, url);
      case "/healthz":
        return sendJson(res, readiness === "failed" ? 503 : 200, { status: readiness, mode: fleet.deps.mode });
    }
  }

  // TCP keep-alive finds peers that vanished while holding a stream, so their sessions can idle out.
  const server = createHttpServer({ keepAlive: true, keepAliveInitialDelay: 60_000 }, (req, res) => {
    if (!auth || !logins) return sendRpcError(res, 503, "starting; retry shortly", { "retry-after": "1" });
    handle(req, res, auth, logins).catch((err: unknown) => {
      opts.logger.error({ err, path: req.url?.split("?")[0] }, "HTTP request failed");
      if (!res.headersSent) sendRpcError(res, 500, "internal error; see the server log");
      else res.end();
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port, opts.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    await sessions.closeAll();
    throw err;
  }
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  const resourceUrl = opts.resourceUrl ?? `${url}/mcp`;
  const oauth = opts.oauth ? createOAuthResourceServer(opts.oauth, resourceUrl, opts.logger) : undefined;
  auth = createAuthenticator(opts.token, oauth, opts.authThrottle);
  logins = createLogins(auth, { secureCookie: resourceUrl.startsWith("https:") });
  void oauth?.warmUp();

  let closing: Promise<void> | undefined;
  return {
    url,
    resourceUrl,
    server,
    sessionCounts: sessions.counts,
    close: () => {
      closing ??= (async () => {
        await consoleRoutes.close();
        await sessions.closeAll();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}

/**
 * Refuses settings that would leave the server open: off loopback anyone on the network could drive the fleet,
 * and `--allowed-host` on a loopback bind without a credential would let a page on that name (DNS rebinding)
 * reach it, so both need a token or OAuth. OAuth on a wildcard bind needs the public URL for its audience.
 */
export function assertBindAllowed(
  host: string,
  auth: { token: string | undefined; oauth?: HttpOAuthConfig; resourceUrl?: string },
  allowedHosts: readonly string[] = [],
): void {
  const credential = Boolean(auth.token || auth.oauth);
  if (!isLoopback(host) && !credential) {
    throw new FleetError("INVALID_INPUT", `refusing to bind ${host} without a bearer token`, {
      hint: "set PF_HTTP_TOKEN to a long random secret (or PF_HTTP_OAUTH_ISSUER), or bind 127.0.0.1",
    });
  }
  if (allowedHosts.length && !credential) {
    throw new FleetError("INVALID_INPUT", `refusing --allowed-host ${allowedHosts.join(",")} without a bearer token`, {
      hint: "a page served from an allowed name could reach this server (DNS rebinding): set PF_HTTP_TOKEN (or PF_HTTP_OAUTH_ISSUER), or drop --allowed-host",
    });
  }
  if (auth.oauth && !auth.resourceUrl && (host === "0.0.0.0" || host === "::")) {
    throw new FleetError("INVALID_INPUT", `OAuth on ${host} needs this server's public URL as the tokens' audience`, {
      hint: "set PF_HTTP_RESOURCE_URL to the URL MCP clients use, e.g. https://fleet.example.com/mcp",
    });
  }
}

/** RFC 9728 protected-resource metadata; CORS-open, since browser-based MCP clients read it from other origins. */
function serveResourceMetadata(req: IncomingMessage, res: ServerResponse, auth: Authenticator): void {
  const cors = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, HEAD, OPTIONS",
    "access-control-allow-headers": "mcp-protocol-version",
  };
  if (req.method === "OPTIONS") {
    res.writeHead(204, cors);
    res.end();
  } else if (req.method !== "GET" && req.method !== "HEAD") {
    methodNotAllowed(res, ["GET", "HEAD", "OPTIONS"]);
  } else {
    sendJson(res, 200, auth.oauth?.metadata(), { ...cors, "cache-control": "max-age=300" });
  }
}

/** The TCP peer, which wrong-token throttling counts by (IPv4 clients of a dual-stack socket unwrapped). */
function clientAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? "unknown";
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}

/** a browser navigating (not a script), which is better sent to the login form than shown a 401 */
function wantsHtml(req: IncomingMessage): boolean {
  return /\btext\/html\b/.test(req.headers.accept ?? "");
}
