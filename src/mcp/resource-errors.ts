/**
 * Resource errors as the MCP spec words them: a URI that names nothing pf-fleet has (no resource, no template
 * match, a job id that does not exist) is −32002 "Resource not found" with the uri in `data`; a URI that matches
 * a template but holds a malformed value (`pnl://daily/yesterday`) is −32602 invalid params. Without this the SDK
 * answers an unmatched URI with −32602 and a missing job with −32603 (any thrown error that has no numeric code).
 */
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { ErrorCode, McpError, type ReadResourceResult } from "@modelcontextprotocol/sdk/types.js";
import { FleetError } from "../errors.js";
import { type RawHandler, wrapSdkRequestHandler } from "./sdk-handlers.js";

export const RESOURCE_NOT_FOUND = -32002;

export function resourceNotFound(uri: string, why?: string): McpError {
  return new McpError(RESOURCE_NOT_FOUND, `Resource not found: ${uri}${why ? ` (${why})` : ""}`, { uri });
}

export function invalidResourceUri(uri: string, why: string): McpError {
  return new McpError(ErrorCode.InvalidParams, `Invalid resource URI ${uri}: ${why}`, { uri });
}

const READ = "resources/read";
const readers = new WeakMap<McpServer, RawHandler>();
const answering = new WeakSet<McpServer>();

/**
 * Wraps the server's `resources/read` handler so every failure carries the spec's code. Call once per server,
 * before or after its first resource is registered (the SDK installs its handler then).
 */
export function answerResourceErrorsPerSpec(server: McpServer): void {
  if (answering.has(server)) return;
  answering.add(server);
  wrapSdkRequestHandler(server, READ, (original) => {
    const wrapped: RawHandler = async (request, extra) => {
      const uri = String((request as { params?: { uri?: unknown } }).params?.uri ?? "");
      try {
        return await original(request, extra);
      } catch (err) {
        throw specError(err, uri);
      }
    };
    readers.set(server, wrapped);
    return wrapped;
  });
}

/** Reads a resource as a client's `resources/read` would, errors included (the subscribe check uses it). */
export async function readResource(server: McpServer, uri: string, extra: unknown): Promise<ReadResourceResult> {
  const read = readers.get(server);
  if (!read) throw resourceNotFound(uri, "this server offers no resources");
  return (await read({ method: READ, params: { uri } }, extra)) as ReadResourceResult;
}

function specError(err: unknown, uri: string): unknown {
  if (err instanceof McpError) {
    // the SDK's own answer when no resource or template matches: `Resource <uri> not found`
    if (err.code === ErrorCode.InvalidParams && /^MCP error -?\d+: Resource .* not found$/.test(err.message)) {
      return resourceNotFound(uri);
    }
    return err;
  }
  if (err instanceof FleetError) {
    if (err.code === "NOT_FOUND") return resourceNotFound(uri, err.message);
    if (err.code === "INVALID_INPUT") return invalidResourceUri(uri, err.message);
    return err;
  }
  // `new URL(…)` refuses a string that is not a URI at all
  if (err instanceof TypeError && /Invalid URL/i.test(err.message)) return invalidResourceUri(uri, "not a URI");
  return err;
}
