import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FleetError } from "../errors.js";
import type { Logger } from "../log.js";
import type { FleetServer } from "../server.js";
import {
  accessPolicy,
  checkHostAndOrigin,
  DASHBOARD_COOKIE,
  isLoopback,
  presentedToken,
  tokenMatches,
} from "./access.js";
import { dashboardSnapshot } from "./dashboard-data.js";
import { DASHBOARD_HTML } from "./dashboard-page.js";
import { createMcpSessions } from "./mcp-sessions.js";
import { methodNotAllowed, sendHtml, sendJson, sendRpcError } from "./respond.js";

export interface HttpOptions {
  port: number;
  host: string;
  /** bearer token; required to bind anywhere but loopback */
  token: string | undefined;
  /** extra Host names this server answers to (a DNS name or IP when bound off loopback) */
  allowedHosts?: string[];
  logger: Logger;
}

export interface RunningHttp {
  /** e.g. http://127.0.0.1:8787 */
  url: string;
  server: Server;
  close(): Promise<void>;
}

type Route = { methods: readonly string[]; auth: "header" | "header-or-cookie" | "none" };

const ROUTES: Record<string, Route> = {
  "/mcp": { methods: ["GET", "POST", "DELETE"], auth: "header" },
  "/sse": { methods: ["GET"], auth: "header" },
  "/messages": { methods: ["POST"], auth: "header" },
  "/": { methods: ["GET", "HEAD"], auth: "header-or-cookie" },
  "/dashboard.json": { methods: ["GET", "HEAD"], auth: "header-or-cookie" },
  "/healthz": { methods: ["GET", "HEAD"], auth: "none" },
};

/**
 * The HTTP transport on plain node:http: MCP over Streamable HTTP (`/mcp`) and legacy SSE (`/sse` +
 * `/messages`), a read-only dashboard (`/`, `/dashboard.json`) and `/healthz`. Every request passes the
 * Host/Origin check; all but `/healthz` need the bearer token when one is configured.
 */
export async function startHttpServer(fleet: FleetServer, opts: HttpOptions): Promise<RunningHttp> {
  assertBindAllowed(opts.host, opts.token);
  const policy = accessPolicy(opts.host, opts.token, opts.allowedHosts);
  const sessions = createMcpSessions(fleet.createSessionServer, opts.logger);
  let readiness: "starting" | "ready" | "failed" = "starting";
  fleet.ready.then(
    () => {
      readiness = "ready";
    },
    () => {
      readiness = "failed";
    },
  );

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://pf-fleet.invalid");
    const refused = checkHostAndOrigin(req, policy);
    if (refused) return sendRpcError(res, 403, `forbidden: ${refused}`);
    const route = ROUTES[url.pathname];
    if (!route) return sendRpcError(res, 404, `no such path \`${url.pathname}\`; MCP is served at /mcp (and /sse)`);
    const method = req.method ?? "GET";
    if (!route.methods.includes(method)) return methodNotAllowed(res, route.methods);

    if (url.pathname === "/" && opts.token && url.searchParams.has("token"))
      return dashboardLogin(res, url, opts.token);
    if (route.auth !== "none" && opts.token) {
      const presented = presentedToken(req, route.auth === "header-or-cookie");
      if (!tokenMatches(opts.token, presented)) {
        return sendRpcError(res, 401, "unauthorized: send `Authorization: Bearer <PF_HTTP_TOKEN>`", {
          "www-authenticate": 'Bearer realm="pf-fleet"',
        });
      }
    }

    switch (url.pathname) {
      case "/mcp":
        return sessions.handleStreamable(req, res);
      case "/sse":
        return sessions.openSse(req, res);
      case "/messages":
        return sessions.postSseMessage(req, res, url);
      case "/":
        return sendHtml(res, DASHBOARD_HTML);
      case "/dashboard.json":
        return sendJson(res, 200, await dashboardSnapshot(fleet.deps));
      case "/healthz":
        return sendJson(res, readiness === "failed" ? 503 : 200, { status: readiness, mode: fleet.deps.mode });
    }
  }

  const server = createHttpServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      opts.logger.error({ err, path: req.url?.split("?")[0] }, "HTTP request failed");
      if (!res.headersSent) sendRpcError(res, 500, "internal error; see the server log");
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    close: () => {
      closing ??= (async () => {
        await sessions.closeAll();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}

/** Off loopback, anyone on the network could drive the fleet: a token is required there. */
export function assertBindAllowed(host: string, token: string | undefined): void {
  if (!isLoopback(host) && !token) {
    throw new FleetError("INVALID_INPUT", `refusing to bind ${host} without a bearer token`, {
      hint: "set PF_HTTP_TOKEN (or --http-token) to a long random secret, or bind 127.0.0.1",
    });
  }
}

/** `/?token=…` from a browser: checks it, stores it in an HttpOnly cookie and drops it from the address bar. */
function dashboardLogin(res: ServerResponse, url: URL, token: string): void {
  const presented = url.searchParams.get("token") ?? undefined;
  if (!tokenMatches(token, presented)) {
    sendRpcError(res, 401, "unauthorized: wrong token", { "www-authenticate": 'Bearer realm="pf-fleet"' });
    return;
  }
  res.writeHead(303, {
    location: "/",
    "set-cookie": `${DASHBOARD_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict; Path=/`,
    "cache-control": "no-store",
  });
  res.end();
}
