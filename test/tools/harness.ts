import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { expect } from "vitest";
import { loadConfig } from "../../src/config.js";
import { TASK } from "../../src/jobs/tasks/args.js";
import { redactSecrets, silentLogger } from "../../src/log.js";
import { type CreateServerOptions, createServer, type FleetServer } from "../../src/server.js";
import { sqliteDbForTests } from "../../src/storage/sqlite/testing.js";

/**
 * A real pf-fleet for the money-tool tests: a temp-dir database, the embedded sandbox on loopback (rate limits
 * off), the real job engine, and the SDK's own Client over an in-memory transport.
 */
export interface ToolHarness {
  fleet: FleetServer;
  client: Client;
  call(name: string, args?: Record<string, unknown>, opts?: Parameters<Client["callTool"]>[2]): Promise<CallToolResult>;
  /**
   * Registers a fleet agent through register_agent and funds it in the sandbox; a real `ledger.refresh` job then
   * imports the deposit, so the local ledger agrees with the server as it would after the daily refresh.
   */
  agent(fundUsd?: number): Promise<string>;
  /** API requests the sandbox has seen so far */
  requests(): number;
  /** rows in every table (jobs, ledger, fleet …) */
  rows(): Record<string, number>;
  close(): Promise<void>;
}

export async function startHarness(
  env: Record<string, string> = {},
  opts: Omit<CreateServerOptions, "logger"> = {},
): Promise<ToolHarness> {
  const dir = mkdtempSync(join(tmpdir(), "pf-fleet-tools-"));
  // every toolset: these tests exercise every tool (the default set is tested in context-budget.test.ts)
  const config = loadConfig({ PF_DB: join(dir, "fleet.db"), PF_TOOLSETS: "all", ...env });
  const fleet = await createServer(config, { logger: silentLogger, sandbox: { rateLimits: false }, ...opts });
  const client = new Client({ name: "pf-fleet-tools-test", version: "1.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await fleet.server.connect(serverSide);
  await client.connect(clientSide);
  const sandbox = () => {
    const s = fleet.deps.sandbox;
    if (!s) throw new Error("the harness runs in sandbox mode");
    return s;
  };
  const call: ToolHarness["call"] = async (name, args = {}, callOpts) => {
    const result = (await client.callTool({ name, arguments: args }, undefined, callOpts)) as CallToolResult;
    // Keys never appear in a tool result: every call of these tests checks it.
    const text = JSON.stringify(result);
    expect(redactSecrets(text), `${name} returned something shaped like a key`).toBe(text);
    return result;
  };
  return {
    fleet,
    client,
    call,
    async agent(fundUsd = 0) {
      const reg = ok<{ agent: { agent_id: string } }>(await call("register_agent", {}));
      const id = reg.agent.agent_id;
      if (fundUsd > 0) {
        // The server stamps ledger rows in whole seconds; a deposit in the same second as the opening balance
        // would count as part of it. One sandbox second later it is unambiguously a later deposit.
        sandbox().advanceClock(1_000);
        sandbox().fund(id, fundUsd);
        const job = await fleet.deps.engine.enqueue(TASK.ledgerRefresh, { agentIds: [id] });
        const done = await fleet.deps.engine.wait(job.id, { timeoutMs: 20_000 });
        if (done.state !== "succeeded") throw new Error(`ledger refresh ${done.state}: ${JSON.stringify(done.error)}`);
      }
      return id;
    },
    requests: () => sandbox().stats().requests,
    rows: () => rowCounts(fleet),
    async close() {
      await client.close();
      await fleet.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The structured content of a successful call; fails the test with the error text otherwise. */
export function ok<T = Record<string, unknown>>(result: CallToolResult): T {
  if (result.isError) throw new Error(`tool failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as T;
}

/** The error of a failed call; fails the test if the call succeeded. */
export function toolError(result: CallToolResult): { code: string; message: string; hint?: string } {
  if (!result.isError) throw new Error(`expected an error, got ${JSON.stringify(result.structuredContent)}`);
  const error = (result.structuredContent as { error: { code: string; message: string; hint?: string } }).error;
  expect(error.hint, "every tool error carries a hint").toBeTruthy();
  return error;
}

function rowCounts(fleet: FleetServer): Record<string, number> {
  const db = sqliteDbForTests(fleet.deps.storage);
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    .pluck()
    .all() as string[];
  return Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT COUNT(*) FROM "${t}"`).pluck().get() as number]));
}

/** Polls the engine until the job is terminal (for jobs that outlive the tool's wait). */
export async function settled(fleet: FleetServer, jobId: string, timeoutMs = 20_000) {
  return fleet.deps.engine.wait(jobId, { timeoutMs });
}
