/**
 * Periodic housekeeping, in every process (each step is a serialised write, so running it in several
 * processes at once is harmless): recovery of jobs whose process died, expiry, chord deadlines, TTL pruning.
 */
import type { Canvas } from "./canvas.js";
import { decisionPolicy, type EngineCore, mustReconcile } from "./core.js";
import { errorText } from "./job-error.js";
import { decideAbandoned } from "./outcome.js";

const BATCH = 200;
/** how often (engine time) finished rows are pruned */
const PRUNE_EVERY_MS = 60_000;

export interface MaintenanceOptions {
  /** real-time period of the sweep */
  sweepMs: number;
  resultTtlMs: number;
  /** jobs this process is running: their leases are renewed, never recovered from under them */
  activeIds: () => Set<string>;
}

export class Maintenance {
  readonly #core: EngineCore;
  readonly #canvas: Canvas;
  readonly #opts: MaintenanceOptions;
  #timer: NodeJS.Timeout | undefined;
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
  start(): void {
    this.#step("recovery", () => this.recoverAbandoned(true));
    this.sweep();
    this.#timer = setInterval(() => this.sweep(), this.#opts.sweepMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  sweep(): void {
    this.#step("recovery", () => this.recoverAbandoned(false));
    this.#step("expiry", () => this.#expireUnstarted());
    this.#step("chord deadlines", () => this.#fireChordDeadlines());
    if (this.#core.clock.now() - this.#lastPruneAt >= PRUNE_EVERY_MS) this.#step("pruning", () => this.prune());
  }

  /** plain jobs are retried (the attempt counts); money jobs go to reconciliation, never straight back to run */
  recoverAbandoned(includeOwn: boolean): number {
    const { store, transitions, ownerId } = this.#core;
    const active = this.#opts.activeIds();
    return this.#core.write((scope) => {
      let recovered = 0;
      for (const job of store.abandoned(scope.now, includeOwn ? ownerId : null, BATCH)) {
        if (active.has(job.id)) continue;
        const d = decideAbandoned(job, decisionPolicy(this.#core, job, scope.now));
        const moved = transitions.move(scope, job, d.to, d.reason, d.patch, { leaseOwner: job.leaseOwner ?? "" });
        if (moved) recovered++;
      }
      return recovered;
    });
  }

  /** deletes finished rows older than the TTL; `unknown` money jobs and open canvases are kept */
  prune(): number {
    const { store, clock } = this.#core;
    const now = clock.now();
    this.#lastPruneAt = now;
    let pruned = 0;
    for (;;) {
      const ids = store.prunable(now - this.#opts.resultTtlMs, BATCH);
      if (ids.length > 0) store.transaction(() => store.delete(ids));
      pruned += ids.length;
      if (ids.length < BATCH) return pruned;
    }
  }

  #expireUnstarted(): void {
    this.#core.write((scope) => {
      for (const job of this.#core.store.expiredUnstarted(scope.now, BATCH)) {
        if (mustReconcile(job)) continue;
        const at = new Date(job.expiresAt ?? scope.now).toISOString();
        this.#core.transitions.move(scope, job, "expired", `not started before it expired at ${at}`);
      }
    });
  }

  #fireChordDeadlines(): void {
    this.#core.write((scope) => {
      for (const chord of this.#core.store.chordsPastDeadline(scope.now, BATCH)) {
        this.#canvas.fireChord(scope, chord, "its deadline passed; unfinished members are reported as pending");
      }
    });
  }

  #step(name: string, fn: () => unknown): void {
    try {
      fn();
    } catch (err) {
      this.#core.logger.error({ err: errorText(err) }, `job ${name} sweep failed`);
    }
  }
}
