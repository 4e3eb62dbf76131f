import type { Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { initializeAnswer } from "../mcp/server-info.js";
import type { FleetServer } from "../server.js";
import { EarlyInitializeTransport } from "./early-initialize.js";

/**
 * Starts reading MCP messages from stdin at once and answers `initialize` before the server exists; everything
 * else waits in the transport until `serveStdio` connects the server.
 */
export async function listenStdio(protocolOut: Writable): Promise<EarlyInitializeTransport> {
  const transport = new EarlyInitializeTransport(
    new StdioServerTransport(process.stdin, protocolOut),
    initializeAnswer(),
  );
  await transport.listen();
  return transport;
}

/**
 * Serves one MCP session over stdin/stdout until the host closes stdin or sends SIGINT/SIGTERM, then shuts
 * the fleet down cleanly (the engine stops claiming; running jobs are left to recovery).
 */
export async function serveStdio(fleet: FleetServer, transport: EarlyInitializeTransport): Promise<void> {
  await fleet.server.connect(transport);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    // the host may have hung up while pf-fleet was still loading
    if (process.stdin.readableEnded || process.stdin.destroyed) stop();
    process.stdin.once("end", stop);
    process.stdin.once("close", stop);
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    fleet.server.server.onclose = chain(fleet.server.server.onclose, stop);
  });
  await fleet.close();
}

function chain(first: (() => void) | undefined, second: () => void): () => void {
  return () => {
    first?.();
    second();
  };
}
