import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import * as schedulesResource from "../../../resources/schedules.js";
import { createScheduler } from "../../../scheduler/index.js";
import type { Scheduler } from "../../../scheduler/types.js";
import { loadConfig } from "../../../src/config.js";
import type { FleetDeps } from "../../../src/deps.js";
import { createFleetStore } from "../../../src/fleet/index.js";
import { type JobEngine, systemClock } from "../../../src/jobs/index.js";
import { silentLogger } from "../../../src/log.js";
import { takeOverInputValidation } from "../../../src/mcp/tool.js";
import { openSqliteStorage } from "../../../src/storage/index.js";
import type { Storage } from "../../../src/storage/types.js";
import * as listSchedules from "../../../tools/list-schedules.js";
import * as runScheduleNow from "../../../tools/run-schedule-now.js";
import * as setSchedule from "../../../tools/set-schedule.js";
import { vaultFor } from "../../support/database.js";
import { createTestEngine } from "./engine.js";
import { tempDbPath } from "./fixtures.js";

/** Anything the schedule tools must never touch (they make no Purple Flea call): a throw on any use. */
function untouchable<T extends object>(what: string): T {
  return new Proxy({} as T, {
    get: (_t, prop) => {
      throw new Error(`the schedule tools must not use ${what} (touched .${String(prop)})`);
    },
  });
}

export interface ScheduleToolsHarness {
  client: Client;
  storage: Storage;
  engine: JobEngine;
  scheduler: Scheduler;
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  close(): Promise<void>;
}

/**
 * The schedule tools and `schedules://list` on a real McpServer, reached through the SDK's own Client over
 * an in-memory transport; a real fleet store (limits from the configuration), a real scheduler and the real
 * job engine (not started) on a temp SQLite file behind the storage seam.
 */
export async function scheduleToolsHarness(env: Record<string, string> = {}): Promise<ScheduleToolsHarness> {
  const tmp = tempDbPath();
  const config = loadConfig({ PF_DB: tmp.path, ...env });
  const storage = openSqliteStorage(tmp.path);
  const { engine, close: closeEngine } = createTestEngine(storage, systemClock, { config });
  const scheduler = await createScheduler({ storage, engine, logger: silentLogger });
  const deps: FleetDeps = {
    config,
    mode: config.mode,
    storage,
    logger: silentLogger,
    client: untouchable("the Purple Flea client"),
    engine,
    fleet: createFleetStore(storage, config, { vault: vaultFor(tmp.path) }),
    sandbox: undefined,
    scheduler,
  };
  const server = new McpServer({ name: "pf-fleet-test", version: "0.0.0" });
  takeOverInputValidation(server);
  for (const m of [listSchedules, setSchedule, runScheduleNow, schedulesResource]) m.register(server, deps);
  const client = new Client({ name: "scheduler-test", version: "0.0.0" });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    storage,
    engine,
    scheduler,
    call: async (name, args = {}) => (await client.callTool({ name, arguments: args })) as CallToolResult,
    async close() {
      await client.close();
      await server.close();
      await closeEngine();
      await storage.close();
      tmp.cleanup();
    },
  };
}
