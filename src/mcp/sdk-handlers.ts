import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";

/** A request handler as the SDK's Protocol stores it: the raw request in, the result out. */
export type RawHandler = (request: unknown, extra: unknown) => Promise<unknown>;

interface ProtocolInternals {
  _requestHandlers: Map<string, RawHandler>;
  setRequestHandler(schema: unknown, handler: unknown): void;
}

/**
 * Wraps the SDK's own handler of one request method. No public hook sees a request before the SDK parses it,
 * or an answer after it is built, so this reaches into the Protocol's private handler table — here only,
 * so an SDK upgrade has one place to look. Either install order is covered: a handler already installed
 * (the McpServer installs tools/* in its constructor when the capability is declared) is wrapped now; one
 * installed later (resources/read, at the first resource) is wrapped as it is installed. Wrappers nest in call
 * order: the last one applied sees the request first.
 */
export function wrapSdkRequestHandler(server: McpServer, method: string, wrap: (sdk: RawHandler) => RawHandler): void {
  const inner = server.server as unknown as ProtocolInternals;
  const installed = inner._requestHandlers.get(method);
  if (installed) {
    inner._requestHandlers.set(method, wrap(installed));
    return;
  }
  // Kept in the chain once done, rather than restored: another pending wrap may have patched it since.
  let wrapped = false;
  const set = inner.setRequestHandler.bind(inner);
  inner.setRequestHandler = (schema, handler) => {
    set(schema, handler);
    const now = inner._requestHandlers.get(method);
    if (!wrapped && now) {
      wrapped = true;
      inner._requestHandlers.set(method, wrap(now));
    }
  };
}
