import { type FleetConfig, loadConfig } from "../../../src/config.js";
import { createFleetStore } from "../../../src/fleet/index.js";
import { type Clock, createJobEngine, type JobEngine } from "../../../src/jobs/index.js";
import { registerFleetTasks } from "../../../src/jobs/tasks/index.js";
import { silentLogger } from "../../../src/log.js";
import { createPurpleFleaClient } from "../../../src/purpleflea/index.js";
import type { Storage } from "../../../src/storage/types.js";
import { vaultFor } from "../../support/database.js";

/** A closed loopback port: the engine is never started, so no task runs and nothing is ever sent. */
const NOWHERE = "http://127.0.0.1:9";

/**
 * The real job engine on the scheduler's storage and clock, with pf-fleet's real task definitions
 * registered (their argument schemas and queues), but not started: jobs stay queued, so a test sees exactly
 * what the scheduler enqueued. `tasks: false` registers none, so every enqueue is refused.
 */
export function createTestEngine(
  storage: Storage,
  clock: Clock,
  opts: { tasks?: boolean; config?: FleetConfig } = {},
): { engine: JobEngine; close(): Promise<void> } {
  const config = opts.config ?? loadConfig({ PF_DB: storage.location });
  const engine = createJobEngine({ storage, config, clock, logger: silentLogger });
  const client = createPurpleFleaClient({
    urls: { casino: NOWHERE, escrow: NOWHERE, faucet: NOWHERE, domains: NOWHERE, wallet: NOWHERE },
  });
  if (opts.tasks !== false) {
    registerFleetTasks(engine, {
      storage,
      client,
      engine,
      fleet: createFleetStore(storage, config, { vault: vaultFor(storage.location) }),
      logger: silentLogger,
    });
  }
  return { engine, close: () => client.close() };
}

export interface EnqueuedJob {
  id: string;
  task: string;
  queue: string;
  args: Record<string, unknown>;
  expiresAt: number | null;
  createdAt: number;
}

/** Every job of a task on the database (any process's), oldest first. */
export async function enqueuedJobs(engine: JobEngine, task: string): Promise<EnqueuedJob[]> {
  const out: EnqueuedJob[] = [];
  let cursor: string | undefined;
  do {
    const page = await engine.list({ task, limit: 500, ...(cursor ? { cursor } : {}) });
    for (const j of page.jobs) {
      const args = j.args as Record<string, unknown>;
      out.push({ id: j.id, task: j.task, queue: j.queue, args, expiresAt: j.expiresAt, createdAt: j.createdAt });
    }
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return out.sort((a, b) => a.createdAt - b.createdAt);
}
