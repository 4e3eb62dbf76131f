/**
 * What the server factory hands to every tool, resource, task and schedule. Built once per process by
 * `createServer` (src/server.ts); tests build it the same way.
 */
import type { Scheduler } from "../scheduler/types.js";
import type { FleetConfig, Mode } from "./config.js";
import type { FleetStore } from "./fleet/types.js";
import type { JobEngine } from "./jobs/types.js";
import type { Logger } from "./log.js";
import type { PurpleFleaClient } from "./purpleflea/types.js";
import type { RunningSandbox } from "./sandbox/types.js";
import type { Storage } from "./storage/types.js";

export interface FleetDeps {
  config: FleetConfig;
  /** sandbox or live; every money tool's result states it */
  mode: Mode;
  /** everything persisted, behind the storage seam (src/storage/) */
  storage: Storage;
  logger: Logger;
  client: PurpleFleaClient;
  engine: JobEngine;
  fleet: FleetStore;
  /** the embedded sandbox, in sandbox mode only */
  sandbox: RunningSandbox | undefined;
  /** Beat: schedules persisted in SQLite (scheduler/); each firing only enqueues a durable job */
  scheduler: Scheduler;
}
