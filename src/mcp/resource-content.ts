import type { ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";

/** A resource body as JSON, optionally with a readable text rendering beside it. */
export function jsonContents(uri: string, body: unknown, text?: string): ReadResourceResult {
  return {
    contents: [
      { uri, mimeType: "application/json", text: JSON.stringify(body, null, 2) },
      ...(text ? [{ uri, mimeType: "text/plain", text }] : []),
    ],
  };
}
