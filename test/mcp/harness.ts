import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { loadConfig } from "../../src/config.js";
import { createLogger } from "../../src/log.js";
import { type CreateServerOptions, createServer, type FleetServer } from "../../src/server.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";

/**
 * A real pf-fleet for tests: a temp-dir database, the embedded sandbox on loopback (rate limits off), the
 * real engine, and an SDK Client over an in-memory transport. Logs go to a file so tests can grep them.
 */
export interface Harness {
  fleet: FleetServer;
  client: Client;
  dir: string;
  logText(): string;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

export async function startHarness(
  env: Record<string, string> = {},
  opts: Omit<CreateServerOptions, "logger"> = {},
): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "pf-fleet-mcp-"));
  const logPath = join(dir, "server.log");
  const logFd = openSync(logPath, "w");
  // every toolset: these tests exercise every tool (the default set is tested in context-budget.test.ts)
  const config = loadConfig({ PF_DB: join(dir, "fleet.db"), PF_TOOLSETS: "all", ...env });
  const fleet = await createServer(config, {
    logger: createLogger("debug", logFd),
    sandbox: { rateLimits: false },
    ...opts,
  });
  const client = new Client({ name: "pf-fleet-test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await fleet.server.connect(serverSide);
  await client.connect(clientSide);
  return {
    fleet,
    client,
    dir,
    logText: () => readFileSync(logPath, "utf8"),
    call: (name, args = {}) => client.callTool({ name, arguments: args }) as Promise<CallToolResult>,
    async close() {
      await client.close();
      await fleet.close();
      closeSync(logFd);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The structured content of a successful call; fails the test with the error text otherwise. */
export function ok<T = Record<string, unknown>>(result: CallToolResult): T {
  if (result.isError) throw new Error(`tool failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}

export function toolError(result: CallToolResult): { code: string; message: string; hint?: string } {
  if (!result.isError) throw new Error(`expected an error, got ${JSON.stringify(result.structuredContent)}`);
  return (result.structuredContent as { error: { code: string; message: string; hint?: string } }).error;
}

/** Rows in every table a tool could write to: jobs, agents, ledger. */
export function rowCounts(fleet: FleetServer): Record<string, number> {
  const db = sqliteDbForTests(fleet.deps.storage);
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT COUNT(*) FROM "${t}"`).pluck().get() as number]));
}
