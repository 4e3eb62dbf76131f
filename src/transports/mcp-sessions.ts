import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../log.js";
import type { SessionServer } from "../mcp/session-server.js";
import { BodyError, readJsonBody, sendRpcError } from "./respond.js";

const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** expired ids remembered so their 404 can say "expired" rather than "unknown" */
const REMEMBERED_EXPIRED = 1_000;

export interface SessionLimits {
  /** sessions open at once, both transports together; one more is refused with 503 */
  max: number;
  /** a session with no request and no open stream for this long is closed */
  idleMs: number;
}

/**
 * Each session holds an McpServer with every tool registered (about half a megabyte), so the default cap of
 * 100 bounds them to tens of megabytes; 15 idle minutes outlast a person reading between two tool calls.
 */
export const DEFAULT_SESSION_LIMITS: SessionLimits = { max: 100, idleMs: 900_000 };

interface OpenSession {
  id: string;
  kind: "streamable" | "sse";
  transport: StreamableHTTPServerTransport | SSEServerTransport;
  session: SessionServer;
  lastActive: number;
  /** HTTP exchanges of this session not yet finished: requests being answered and streams held open */
  inFlight: number;
}

/**
 * MCP sessions over HTTP: Streamable HTTP at `/mcp` (session id in `mcp-session-id`) and the legacy SSE pair
 * (`GET /sse` opens the stream, `POST /messages?sessionId=` carries requests). Each session gets its own MCP
 * server over the shared dependencies.
 *
 * Sessions are capped and expire when idle — no request and no open stream for `idleMs` — so abandoned ones
 * cannot pile up. A connected client keeps its session while it holds a stream (SDK clients hold the GET
 * stream); a client that vanished without closing its connection is found by TCP keep-alive (http.ts), after
 * which its session idles out. A request for an expired session gets 404, which tells a Streamable HTTP client
 * to initialize again (spec, Session Management).
 */
export function createMcpSessions(
  newSession: () => SessionServer,
  logger: Logger,
  limits: SessionLimits = DEFAULT_SESSION_LIMITS,
  now: () => number = Date.now,
) {
  const open = new Map<string, OpenSession>();
  const expired = new Set<string>();
  /** initializations under way, counted against the cap before their session id exists */
  let starting = 0;
  const sweeper = setInterval(sweep, Math.min(Math.max(limits.idleMs / 4, 50), 30_000));
  sweeper.unref();

  function isIdle(s: OpenSession, at: number): boolean {
    return s.inFlight === 0 && at - s.lastActive >= limits.idleMs;
  }

  function sweep(): void {
    const at = now();
    for (const s of open.values()) if (isIdle(s, at)) expire(s);
  }

  function expire(s: OpenSession): void {
    open.delete(s.id);
    expired.add(s.id);
    if (expired.size > REMEMBERED_EXPIRED) expired.delete(expired.values().next().value as string);
    logger.info(
      { sessionId: s.id, kind: s.kind, idleSeconds: limits.idleMs / 1000 },
      "MCP session closed after idling",
    );
    // Closing the server closes its transport, which disposes the session's engine listeners (server.ts).
    void s.session.server.close().catch(() => undefined);
  }

  /** the open session with this id and kind, expiring it first if it has idled out */
  function lookup(id: string, kind: OpenSession["kind"]): OpenSession | undefined {
    const s = open.get(id);
    if (!s || s.kind !== kind) return undefined;
    if (isIdle(s, now())) {
      expire(s);
      return undefined;
    }
    return s;
  }

  function sendUnknown(res: ServerResponse, id: string, again: string): void {
    const shown = id.slice(0, 64);
    const why = expired.has(id) ? `expired after ${limits.idleMs / 1000} s idle; re-initialize` : "not found";
    sendRpcError(res, 404, `session \`${shown}\` ${why}: ${again}`);
  }

  /** counts one HTTP exchange (request or stream) of a session until its response closes */
  function track(s: OpenSession, res: ServerResponse): void {
    s.inFlight++;
    s.lastActive = now();
    res.once("close", () => {
      s.inFlight--;
      s.lastActive = now();
    });
  }

  /** null when a new session may open, else 503 with when to retry */
  function refuseIfFull(res: ServerResponse): boolean {
    if (open.size + starting < limits.max) return false;
    sweep();
    if (open.size + starting < limits.max) return false;
    // The soonest an idle session will expire frees a slot; with none idle, one idle period is a fair guess.
    const at = now();
    let soonest = limits.idleMs;
    for (const s of open.values()) if (s.inFlight === 0) soonest = Math.min(soonest, s.lastActive + limits.idleMs - at);
    const retryAfter = String(Math.max(1, Math.ceil(soonest / 1000)));
    logger.warn({ open: open.size, max: limits.max }, "MCP session refused: at the session cap");
    sendRpcError(
      res,
      503,
      `too many MCP sessions: ${limits.max} are open (PF_HTTP_MAX_SESSIONS); retry after ${retryAfter} s, or end unused sessions (DELETE /mcp with their mcp-session-id)`,
      { "retry-after": retryAfter },
    );
    return true;
  }

  function register(s: OpenSession, res: ServerResponse): void {
    open.set(s.id, s);
    track(s, res);
  }

  function forget(s: OpenSession): void {
    if (open.get(s.id) === s) open.delete(s.id);
  }

  async function handleStreamable(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const sessionId = header(req, "mcp-session-id");
    if (sessionId !== undefined) {
      const s = lookup(sessionId, "streamable");
      if (!s) return sendUnknown(res, sessionId, "POST initialize without mcp-session-id");
      track(s, res);
      const body = req.method === "POST" ? await readBody(req, res) : undefined;
      if (req.method === "POST" && body === BODY_FAILED) return;
      return (s.transport as StreamableHTTPServerTransport).handleRequest(req, res, body);
    }
    if (req.method !== "POST") return sendRpcError(res, 400, "missing mcp-session-id header; POST initialize first");
    const body = await readBody(req, res);
    if (body === BODY_FAILED) return;
    if (!isInitializeRequest(body)) {
      return sendRpcError(res, 400, "no session: the first request must be initialize (without mcp-session-id)");
    }
    if (refuseIfFull(res)) return;
    starting++;
    const session = newSession();
    try {
      let opened: OpenSession | undefined;
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          opened = { id, kind: "streamable", transport, session, lastActive: now(), inFlight: 0 };
          register(opened, res);
          logger.debug({ sessionId: id }, "streamable HTTP session opened");
        },
        onsessionclosed: () => {
          if (opened) forget(opened);
        },
      });
      transport.onclose = () => {
        if (opened) forget(opened);
      };
      await session.server.connect(transport);
      await transport.handleRequest(req, res, body);
      // An initialize the transport refused (e.g. a bad Accept header) leaves a server nobody can reach.
      if (!opened) await session.server.close().catch(() => undefined);
    } catch (err) {
      await session.server.close().catch(() => undefined);
      throw err;
    } finally {
      starting--;
    }
  }

  async function openSse(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (refuseIfFull(res)) return;
    const transport = new SSEServerTransport("/messages", res);
    const session = newSession();
    const opened: OpenSession = {
      id: transport.sessionId,
      kind: "sse",
      transport,
      session,
      lastActive: now(),
      inFlight: 0,
    };
    register(opened, res);
    res.on("close", () => {
      forget(opened);
      void session.server.close().catch(() => undefined);
    });
    await session.server.connect(transport);
    logger.debug({ sessionId: transport.sessionId }, "legacy SSE session opened");
  }

  async function postSseMessage(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const sessionId = url.searchParams.get("sessionId");
    if (!sessionId) return sendRpcError(res, 400, "missing sessionId query parameter; open GET /sse first");
    const s = lookup(sessionId, "sse");
    if (!s) return sendUnknown(res, sessionId, "open GET /sse again");
    track(s, res);
    const body = await readBody(req, res);
    if (body === BODY_FAILED) return;
    await (s.transport as SSEServerTransport).handlePostMessage(req, res, body);
  }

  async function closeAll(): Promise<void> {
    clearInterval(sweeper);
    const all = [...open.values()];
    open.clear();
    await Promise.all(all.map((s) => s.session.server.close().catch(() => undefined)));
  }

  return {
    handleStreamable,
    openSse,
    postSseMessage,
    closeAll,
    counts: () => {
      let streamable = 0;
      for (const s of open.values()) if (s.kind === "streamable") streamable++;
      return { streamable, sse: open.size - streamable, max: limits.max };
    },
  };
}

const BODY_FAILED = Symbol("body failed");

async function readBody(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  try {
    return await readJsonBody(req, MAX_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyError) {
      sendRpcError(res, err.status, err.message);
      return BODY_FAILED;
    }
    throw err;
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export type McpSessions = ReturnType<typeof createMcpSessions>;
