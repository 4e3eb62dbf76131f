import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { setTimeout as delay } from "node:timers/promises";
import type { FaultDecision } from "../fault-injector.js";
import type { SandboxWorld } from "../world.js";
import { HttpError } from "./http-error.js";
import { json, type Reply, type ServiceInfo, writeReply } from "./reply.js";
import { ApiRequest } from "./request.js";
import { type Route, type RouteMatch, Router } from "./router.js";

export interface ServiceDefinition {
  /** casino, escrow, faucet or domains */
  name: string;
  /** prefix of every API route: `/api/v1`, `` or `/v1` */
  basePath: string;
  info: ServiceInfo;
  routes: Route[];
  /** extra fields of the 404 body (the casino adds `docs` and `openapi` hints) */
  notFoundExtra?: Record<string, unknown>;
}

const CONTROL_PREFIX = "/_sandbox/";
/** How far ahead an injected 429 burst says to come back (sandbox ms). */
const BURST_RESET_MS = 1000;

/** The sandbox's own limit, not the real service's: said plainly instead of "an unexpected error". */
const STORAGE_FULL =
  "The sandbox's storage is full (its in-memory database holds at most 1 GiB, about a million bets): restart the " +
  "sandbox, or give it a database file with --db PATH";

function isStorageFull(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "SQLITE_FULL";
}

/**
 * One service's HTTP server. Per API request, in order: count it, draw its fault (latency, reset before
 * processing, 500 without processing, 429 burst), then process it (404, per-IP limiter, handler, error mapping)
 * and, for a `drop` fault, destroy the socket instead of answering. `/_sandbox/` controls bypass all of that.
 */
export function createServiceServer(service: ServiceDefinition, world: SandboxWorld, controls: Router): Server {
  const router = new Router(service.routes);
  const log = world.log.child({ service: service.name });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://sandbox.invalid");
    const method = req.method ?? "GET";
    if (url.pathname.startsWith(CONTROL_PREFIX)) {
      const match = controls.match(method, url.pathname);
      writeReply(res, await run(match, new ApiRequest(req, url, match?.params ?? {})), null);
      return;
    }
    if (method === "GET" && url.pathname === "/health") {
      writeReply(
        res,
        json({ status: "ok", service: service.info.service, version: service.info.version }),
        service.info,
      );
      return;
    }
    const relative = stripBase(url.pathname, service.basePath);
    const match = relative === undefined ? undefined : router.match(method, relative);
    const route = match ? `${method} ${service.basePath}${match.route.path}` : `${method} (unmatched)`;
    const apiReq = new ApiRequest(req, url, match?.params ?? {});
    world.stats.request(route, apiReq.ip);

    const fault = world.faults.decide(match?.route.money === true, route);
    apiReq.receive();
    if (fault.latencyMs > 0) await delay(fault.latencyMs);
    if (answeredByFault(fault, req, res)) return;

    apiReq.partial = fault.action === "partial";
    const reply = match ? await run(match, apiReq) : notFound(method, url.pathname);
    if (apiReq.agentId !== undefined) world.stats.agent(apiReq.agentId, route);
    if (fault.action === "drop" || fault.action === "partial") {
      // Processed (in full, or partly: the server died mid-request), but the caller never hears back.
      world.stats.fault(fault.action);
      req.socket.destroy();
      return;
    }
    log.debug({ route, status: reply.status }, "sandbox request");
    writeReply(res, reply, service.info);
  }

  function answeredByFault(fault: FaultDecision, req: IncomingMessage, res: ServerResponse): boolean {
    switch (fault.action) {
      case "reset":
        world.stats.fault("reset");
        req.socket.destroy();
        return true;
      case "error":
        world.stats.fault("error");
        writeReply(res, json({ error: "internal_error", message: "An unexpected error occurred" }, 500), service.info);
        return true;
      case "burst429": {
        world.stats.fault("burst429");
        const resetAt = new Date(world.clock.now() + BURST_RESET_MS).toISOString();
        const body = { error: "rate_limit_exceeded", message: "Too many requests", reset_at: resetAt };
        writeReply(res, json(body, 429), service.info);
        return true;
      }
      default:
        return false;
    }
  }

  async function run(match: RouteMatch | undefined, req: ApiRequest): Promise<Reply> {
    if (!match) return notFound(req.method, req.path);
    try {
      const limit = match.route.ipLimit;
      if (limit && !world.limiter.hit(`${req.path}:${req.ip}`, limit.max).allowed) {
        world.stats.rateLimited(limit.name);
        const message = `Too many requests. Limit: ${limit.max} per 60s`;
        return json({ error: "rate_limited", message }, 429);
      }
      return await match.route.handle(req);
    } catch (err) {
      if (err instanceof HttpError) return json(err.body(), err.status);
      if (isStorageFull(err)) {
        log.error({ path: req.path }, STORAGE_FULL);
        return json({ error: "internal_error", message: STORAGE_FULL }, 500);
      }
      log.error({ err, path: req.path }, "sandbox handler failed");
      return json({ error: "internal_error", message: "An unexpected error occurred" }, 500);
    }
  }

  function notFound(method: string, path: string): Reply {
    return json({ error: "not_found", message: `${method} ${path} not found`, ...service.notFoundExtra }, 404);
  }

  const server = createServer({ keepAliveTimeout: 5_000 }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, "sandbox request failed");
      if (!res.headersSent) writeReply(res, json({ error: "internal_error", message: "internal error" }, 500), null);
      else res.destroy();
    });
  });
  server.on("clientError", (_err, socket) => socket.destroy());
  return server;
}

function stripBase(path: string, base: string): string | undefined {
  if (base === "") return path;
  if (path === base) return "/";
  return path.startsWith(`${base}/`) ? path.slice(base.length) : undefined;
}
