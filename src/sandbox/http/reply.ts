import type { ServerResponse } from "node:http";

export interface JsonReply {
  status: number;
  json: Record<string, unknown>;
}

export interface TextReply {
  status: number;
  text: string;
  headers: Record<string, string>;
}

export type Reply = JsonReply | TextReply;

export function json(body: Record<string, unknown>, status = 200): JsonReply {
  return { status, json: body };
}

/** `_info` as the services' middleware injects it into every JSON object response. */
export interface ServiceInfo {
  service: string;
  docs: string;
  referral: string;
  version: string;
}

/**
 * Writes a reply. JSON object bodies get `_info` appended and, like the services' re-serialising middleware,
 * only a content-type header; text replies keep their own headers.
 */
export function writeReply(res: ServerResponse, reply: Reply, info: ServiceInfo | null): void {
  if ("json" in reply) {
    const body = info === null ? reply.json : { ...reply.json, _info: info };
    const payload = JSON.stringify(body);
    res.writeHead(reply.status, {
      "content-type": "application/json; charset=UTF-8",
      "content-length": Buffer.byteLength(payload),
    });
    res.end(payload);
    return;
  }
  res.writeHead(reply.status, { ...reply.headers, "content-length": Buffer.byteLength(reply.text) });
  res.end(reply.text);
}
