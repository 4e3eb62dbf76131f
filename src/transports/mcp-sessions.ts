import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { isInitializeRequest } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../log.js";
import type { SessionServer } from "../mcp/session-server.js";
import { BodyError, readJsonBody, sendRpcError } from "./respond.js";

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * MCP sessions over HTTP: Streamable HTTP at `/mcp` (session id in `mcp-session-id`) and the legacy SSE pair
 * (`GET /sse` opens the stream, `POST /messages?sessionId=` carries requests). Each session gets its own MCP
 * server over the shared dependencies.
 */
export function createMcpSessions(newSession: () => SessionServer, logger: Logger) {
  const streamable = new Map<string, StreamableHTTPServerTransport>();
  const legacy = new Map<string, SSEServerTransport>();

  async function connect(transport: Transport): Promise<void> {
    const session = newSession();
    await session.server.connect(transport);
  }

  async function handleStreamable(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const sessionId = header(req, "mcp-session-id");
    if (sessionId !== undefined) {
      const transport = streamable.get(sessionId);
      if (!transport)
        return sendRpcError(res, 404, `session \`${sessionId}\` not found; start a new one with initialize`);
      const body = req.method === "POST" ? await readBody(req, res) : undefined;
      if (req.method === "POST" && body === BODY_FAILED) return;
      return transport.handleRequest(req, res, body);
    }
    if (req.method !== "POST") return sendRpcError(res, 400, "missing mcp-session-id header; POST initialize first");
    const body = await readBody(req, res);
    if (body === BODY_FAILED) return;
    if (!isInitializeRequest(body)) {
      return sendRpcError(res, 400, "no session: the first request must be initialize (without mcp-session-id)");
    }
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        streamable.set(id, transport);
        logger.debug({ sessionId: id }, "streamable HTTP session opened");
      },
      onsessionclosed: (id) => {
        streamable.delete(id);
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) streamable.delete(transport.sessionId);
    };
    await connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function openSse(_req: IncomingMessage, res: ServerResponse): Promise<void> {
    const transport = new SSEServerTransport("/messages", res);
    legacy.set(transport.sessionId, transport);
    res.on("close", () => {
      legacy.delete(transport.sessionId);
      void transport.close();
    });
    await connect(transport);
    logger.debug({ sessionId: transport.sessionId }, "legacy SSE session opened");
  }

  async function postSseMessage(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const sessionId = url.searchParams.get("sessionId");
    if (!sessionId) return sendRpcError(res, 400, "missing sessionId query parameter; open GET /sse first");
    const transport = legacy.get(sessionId);
    if (!transport) return sendRpcError(res, 404, `SSE session \`${sessionId}\` not found; open GET /sse again`);
    const body = await readBody(req, res);
    if (body === BODY_FAILED) return;
    await transport.handlePostMessage(req, res, body);
  }

  async function closeAll(): Promise<void> {
    const all: Transport[] = [...streamable.values(), ...legacy.values()];
    streamable.clear();
    legacy.clear();
    await Promise.all(all.map((t) => t.close().catch(() => undefined)));
  }

  return {
    handleStreamable,
    openSse,
    postSseMessage,
    closeAll,
    counts: () => ({ streamable: streamable.size, sse: legacy.size }),
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
