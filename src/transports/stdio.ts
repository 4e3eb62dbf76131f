import type { Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { FleetServer } from "../server.js";

/**
 * Serves one MCP session over stdin/stdout until the host closes stdin or sends SIGINT/SIGTERM, then shuts
 * the fleet down cleanly (the engine stops claiming; running jobs are left to recovery).
 */
export async function serveStdio(fleet: FleetServer, protocolOut: Writable): Promise<void> {
  const transport = new StdioServerTransport(process.stdin, protocolOut);
  await fleet.server.connect(transport);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
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
