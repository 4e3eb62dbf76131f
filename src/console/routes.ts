import type { IncomingMessage, ServerResponse } from "node:http";
import type { FleetDeps } from "../deps.js";
import { FleetError, toFleetError } from "../errors.js";
import type { Logger } from "../log.js";
import { crossSiteReason } from "../transports/login.js";
import { BodyError, methodNotAllowed, readJsonBody, sendJson } from "../transports/respond.js";
import { createConsoleActions } from "./actions.js";
import { CsrfTokens } from "./csrf.js";
import {
  consoleHealth,
  consoleJobDetail,
  consoleJobs,
  consoleMoney,
  consoleOverview,
  consoleSchedules,
} from "./data/index.js";
import { createLiveHub } from "./live.js";
import { isConsoleAsset, sendConsoleAsset } from "./static.js";

/**
 * The operations console behind the HTTP transport's authentication: the page and its assets, the JSON reads,
 * the event stream and the actions (src/console/API.md). The caller has already checked Host/Origin and the
 * credential, and says who the caller is, which the CSRF token is bound to.
 */

/** who is asking: a signed-in browser (its login session), a bearer token, or open loopback access */
export type ConsolePrincipal = { kind: "login"; sessionId: string } | { kind: "bearer" } | { kind: "open" };

const MAX_ACTION_BYTES = 8_192;

export interface ConsoleRoutes {
  /** true when the path is the console's (the caller then authenticates and calls `handle`) */
  owns(pathname: string): boolean;
  /** static assets hold no data and are served without a credential (the login page needs none either) */
  isPublic(pathname: string): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL, who: ConsolePrincipal): Promise<void>;
  close(): Promise<void>;
}

export function createConsoleRoutes(deps: FleetDeps, logger: Logger): ConsoleRoutes {
  const csrf = new CsrfTokens();
  const actions = createConsoleActions(deps);
  const live = createLiveHub({ engine: deps.engine, overview: () => consoleOverview(deps), logger });
  const principalKey = (who: ConsolePrincipal) => (who.kind === "login" ? `login:${who.sessionId}` : who.kind);

  async function read(res: ServerResponse, url: URL, who: ConsolePrincipal): Promise<void> {
    const path = url.pathname;
    const q = url.searchParams;
    if (path === "/api/overview") {
      return sendJson(res, 200, { ...(await consoleOverview(deps)), csrf_token: csrf.issue(principalKey(who)) });
    }
    if (path === "/api/jobs") return sendJson(res, 200, await consoleJobs(deps, q));
    if (path.startsWith("/api/jobs/")) {
      const id = decodeURIComponent(path.slice("/api/jobs/".length));
      const detail = await consoleJobDetail(deps, id);
      if (detail) return sendJson(res, 200, detail);
      throw new FleetError("NOT_FOUND", `no job \`${id.slice(0, 100)}\``, { hint: "it may have been pruned" });
    }
    if (path === "/api/money") return sendJson(res, 200, await consoleMoney(deps));
    if (path === "/api/health") return sendJson(res, 200, await consoleHealth(deps, q));
    if (path === "/api/schedules") return sendJson(res, 200, await consoleSchedules(deps));
    throw new FleetError("NOT_FOUND", `no console route \`${path.slice(0, 100)}\``, {
      hint: "see src/console/API.md",
    });
  }

  async function act(req: IncomingMessage, res: ServerResponse, url: URL, who: ConsolePrincipal): Promise<void> {
    const refusal = csrfRefusal(req, who);
    if (refusal) return sendJson(res, 403, { ok: false, error: { code: "FORBIDDEN", message: refusal, hint: null } });
    const name = url.pathname.slice("/api/actions/".length);
    let body: unknown;
    try {
      body = await readJsonBody(req, MAX_ACTION_BYTES);
    } catch (err) {
      if (!(err instanceof BodyError)) throw err;
      return sendJson(res, err.status, {
        ok: false,
        error: { code: "INVALID_INPUT", message: err.message, hint: null },
      });
    }
    const { status, answer } = await actions.run(name, body);
    logger.info({ action: name, ok: answer.ok, who: who.kind }, "console action");
    return sendJson(res, status, answer);
  }

  /** Why a state-changing request must be refused as a possible forgery, or null. */
  function csrfRefusal(req: IncomingMessage, who: ConsolePrincipal): string | null {
    const crossSite = crossSiteReason(req);
    if (crossSite) return `forbidden: ${crossSite}`;
    // A form cannot send JSON without a CORS preflight, which this server never grants.
    if (!/^application\/json\b/i.test(req.headers["content-type"] ?? "")) {
      return "actions take a JSON body (content-type: application/json)";
    }
    // A bearer token is never sent by a browser on its own, so it cannot be forged by another page.
    if (who.kind === "bearer") return null;
    const presented = req.headers["x-csrf-token"];
    if (!csrf.verify(principalKey(who), typeof presented === "string" ? presented : undefined)) {
      return "missing or wrong x-csrf-token (reload the console)";
    }
    return null;
  }

  return {
    owns: (pathname) => isConsoleAsset(pathname) || pathname.startsWith("/api/"),
    isPublic: (pathname) => pathname !== "/" && isConsoleAsset(pathname),
    async handle(req, res, url, who) {
      const method = req.method ?? "GET";
      const isAction = url.pathname.startsWith("/api/actions/");
      const allowed = isAction ? ["POST"] : ["GET", "HEAD"];
      if (!allowed.includes(method)) return methodNotAllowed(res, allowed);
      if (isConsoleAsset(url.pathname)) {
        if (!sendConsoleAsset(res, url.pathname, method === "HEAD")) {
          sendJson(res, 404, { error: { code: "NOT_FOUND", message: "no such console file", hint: null } });
        }
        return;
      }
      if (url.pathname === "/api/events") return live.open(req, res);
      try {
        if (isAction) return await act(req, res, url, who);
        return await read(res, url, who);
      } catch (err) {
        const e = toFleetError(err);
        const status = e.code === "INVALID_INPUT" ? 400 : e.code === "NOT_FOUND" ? 404 : 500;
        if (status === 500) logger.error({ err }, "console request failed");
        return sendJson(res, status, { error: { code: e.code, message: e.message, hint: e.hint ?? null } });
      }
    },
    async close() {
      live.close();
      await actions.close();
    },
  };
}
