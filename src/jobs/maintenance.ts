/**
 * Periodic housekeeping, in every process (each step is a serialised write, so running it in several
 * processes at once is harmless): recovery of jobs whose process died, expiry, chord deadlines, TTL pruning (of
 * finished jobs, of the server ledger mirror: src/ledger/mirror-retention.ts, and of the heartbeat rows of
 * processes that died).
 */
import { DEFAULT_MIRROR_RETENTION_DAYS, pruneServerMirror } from "../ledger/mirror-retention.js";
import type { Canvas } from "./canvas.js";
import { decisionPolicy, type EngineCore, mustReconcile } from "./core.js";
import { errorText } from "./job-error.js";
import { decideAbandoned } from "./outcome.js";
import { PROCESS_ROW_TTL_MS } from "./process-heartbeat.js";

const BATCH = 200;
/** how often (engine time) finished rows are pruned */
const PRUNE_EVERY_MS = 60_000;

export interface MaintenanceOptions {
  /** real-time period of the sweep */
  sweepMs: number;
  resultTtlMs: number;
  /** how long server ledger mirror rows are kept (src/ledger/mirror-retention.ts); default 30 days */
  mirrorRetentionMs?: number;
  /** jobs this process is running: their leases are renewed, never recovered from under them */
  activeIds: () => Set<string>;
}

export class Maintenance {
  readonly #core: EngineCore;
  readonly #canvas: Canvas;
  readonly #opts: MaintenanceOptions;
  #timer: NodeJS.Timeout | undefined;
  /** the sweep in progress: the next tick skips rather than piling a second one on top */
  #sweeping: Promise<void> | undefined;
  #lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(core: EngineCore, canvas: Canvas, opts: MaintenanceOptions) {
    this.#core = core;
    this.#canvas = canvas;
    this.#opts = opts;
  }

  /**
   * Recovery on start: every expired lease, and every lease still held under this process's own owner id
   * (a previous life of this process cannot be running anything now).
   */
  async start(): Promise<void> {
    await this.#step("recovery", () => this.recoverAbandoned(true));
    await this.sweep();
    this.#timer = setInterval(() => void this.sweep(), this.#opts.sweepMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }

  sweep(): Promise<void> {
    this.#sweeping ??= (async () => {
      await this.#step("recovery", () => this.recoverAbandoned(false));
      await this.#step("expiry", () => this.#expireUnstarted());
      await this.#step("chord deadlines", () => this.#fireChordDeadlines());
      if (this.#core.clock.now() - this.#lastPruneAt >= PRUNE_EVERY_MS) {
        await this.#step("pruning", () => this.prune());
        await this.#step("mirror pruning", () => this.pruneMirror());
        await this.#step("process pruning", () => this.pruneProcesses());
      }
    })().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  /** plain jobs are retried (the attempt counts); money jobs go to reconciliation, never straight back to run */
  recoverAbandoned(includeOwn: boolean): Promise<number> {
    const { transitions, ownerId } = this.#core;
    const active = this.#opts.activeIds();
    return this.#core.write(async (scope) => {
      let recovered = 0;
      for (const job of await scope.tx.jobs.abandoned(scope.now, includeOwn ? ownerId : null, BATCH)) {
        if (active.has(job.id)) continue;
        const d = decideAbandoned(job, decisionPolicy(this.#core, job, scope.now));
        const lease = { leaseOwner: job.leaseOwner ?? "" };
        const moved = await transitions.move(scope, job, d.to, d.reason, d.patch, lease);
        if (moved) recovered++;
      }
      return recovered;
    });
  }

  /** deletes finished rows older than the TTL; `unknown` money jobs and open canvases are kept */
  async prune(): Promise<number> {
    const { storage, clock } = this.#core;
    const now = clock.now();
    this.#lastPruneAt = now;
    let pruned = 0;
    for (;;) {
      const ids = await storage.transaction(async (tx) => {
        const found = await tx.jobs.prunable(now - this.#opts.resultTtlMs, BATCH);
        if (found.length > 0) await tx.jobs.delete(found);
        return found;
      });
      pruned += ids.length;
      if (ids.length < BATCH) return pruned;
    }
  }

  /** deletes server ledger mirror rows past the retention that nothing can read any more, in batches */
  pruneMirror(): Promise<number> {
    const retentionMs = this.#opts.mirrorRetentionMs ?? DEFAULT_MIRROR_RETENTION_DAYS * 86_400_000;
    return pruneServerMirror(this.#core.storage, this.#core.clock.now(), retentionMs, BATCH);
  }

  /** deletes the rows of processes silent for a day (they died without a clean stop) */
  pruneProcesses(): Promise<number> {
    return this.#core.storage.processes.pruneSilent(this.#core.clock.now() - PROCESS_ROW_TTL_MS);
  }

  #expireUnstarted(): Promise<void> {
    return this.#core.write(async (scope) => {
      for (const job of await scope.tx.jobs.expiredUnstarted(scope.now, BATCH)) {
        if (mustReconcile(job)) continue;
        const at = new Date(job.expiresAt ?? scope.now).toISOString();
        await this.#core.transitions.move(scope, job, "expired", `not started before it expired at ${at}`);
      }
    });
  }

  #fireChordDeadlines(): Promise<void> {
    return this.#core.write(async (scope) => {
      for (const chord of await scope.tx.jobs.chordsPastDeadline(scope.now, BATCH)) {
        await this.#canvas.fireChord(scope, chord, "its deadline passed; unfinished members are reported as pending");
      }
    });
  }

  async #step(name: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.#core.logger.error({ err: errorText(err) }, `job ${name} sweep failed`);
    }
  }
}
