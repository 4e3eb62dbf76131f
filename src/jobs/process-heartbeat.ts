/**
 * This process's row in `processes` (src/storage/processes.ts): written when the engine starts, refreshed on a
 * timer, removed on a clean stop. A process that died stops refreshing it, so readers see it go stale instead of
 * vanishing; the maintenance pass prunes rows silent for a day.
 */
import { hostname } from "node:os";
import type { ProcessRow } from "../storage/processes.js";
import type { EngineCore } from "./core.js";
import { errorText } from "./job-error.js";
import type { QueueName } from "./types.js";

/** how often a running engine refreshes its row */
export const DEFAULT_HEARTBEAT_MS = 10_000;
/** a row not refreshed for this many intervals reads as stale: the process is stuck, cut off or dead */
export const STALE_AFTER_BEATS = 3;
/** rows silent this long are pruned (a process that died without a clean stop) */
export const PROCESS_ROW_TTL_MS = 24 * 3_600_000;

export interface ProcessIdentity {
  /** sandbox or live; "standalone" for an engine started outside `createServer` */
  mode: string;
  queues: Partial<Record<QueueName, number>>;
  firesSchedules: boolean;
  heartbeatMs: number;
}

export class ProcessHeartbeat {
  readonly #core: EngineCore;
  readonly #identity: ProcessIdentity;
  #startedAt = 0;
  #timer: NodeJS.Timeout | undefined;
  /** the write in flight: stop waits for it, so a late beat cannot put the row back after its removal */
  #beating: Promise<void> | undefined;

  constructor(core: EngineCore, identity: ProcessIdentity) {
    this.#core = core;
    this.#identity = identity;
  }

  async start(): Promise<void> {
    this.#startedAt = this.#core.clock.now();
    await this.#beat();
    this.#timer = setInterval(() => void this.#beat(), this.#identity.heartbeatMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#beating;
    try {
      await this.#core.storage.processes.remove(this.#core.ownerId);
    } catch (err) {
      this.#core.logger.warn({ err: errorText(err) }, "could not remove this process's heartbeat row");
    }
  }

  #beat(): Promise<void> {
    this.#beating ??= this.#core.storage.processes
      .heartbeat(this.#row())
      .catch((err: unknown) => this.#core.logger.error({ err: errorText(err) }, "process heartbeat failed"))
      .finally(() => {
        this.#beating = undefined;
      });
    return this.#beating;
  }

  #row(): ProcessRow {
    const { mode, queues, firesSchedules, heartbeatMs } = this.#identity;
    return {
      owner: this.#core.ownerId,
      host: hostname(),
      pid: process.pid,
      egress: this.#core.egress.id,
      mode,
      queues,
      runsJobs: true,
      firesSchedules,
      heartbeatMs,
      startedAt: this.#startedAt,
      lastSeenAt: this.#core.clock.now(),
    };
  }
}
