import type { IncomingMessage, ServerResponse } from "node:http";

/** Small response helpers for the plain node:http transport. */

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) return void res.end();
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
}

/** Pages that set no policy of their own load nothing and are never framed. */
const STRICT_CSP = "default-src 'none'; frame-ancestors 'none'";

export function sendHtml(
  res: ServerResponse,
  html: string,
  opts: { status?: number; csp?: string; headers?: Record<string, string> } = {},
): void {
  res.writeHead(opts.status ?? 200, {
    "content-type": "text/html; charset=utf-8",
    "content-length": Buffer.byteLength(html),
    "cache-control": "no-store",
    "content-security-policy": opts.csp ?? STRICT_CSP,
    "x-content-type-options": "nosniff",
    ...opts.headers,
  });
  res.end(html);
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string> = {}): void {
  res.writeHead(303, { location, "cache-control": "no-store", ...headers });
  res.end();
}

/** A JSON-RPC-shaped error, so MCP clients can show it; `id: null` because the request may not have been parsed. */
export function sendRpcError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { jsonrpc: "2.0", error: { code: -32000, message }, id: null }, headers);
}

export function methodNotAllowed(res: ServerResponse, allow: readonly string[]): void {
  sendRpcError(res, 405, `method not allowed; this path serves ${allow.join(", ")}`, { allow: allow.join(", ") });
}

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const text = await readTextBody(req, maxBytes);
  try {
    return JSON.parse(text);
  } catch {
    throw new BodyError(400, "request body is not valid JSON");
  }
}

export async function readTextBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) throw new BodyError(413, `request body is larger than ${maxBytes} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export class BodyError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
