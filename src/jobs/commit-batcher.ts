/**
 * Group commit: completions are written in batches, one transaction per batch, each completion in its own
 * savepoint so one bad write does not sink its neighbours. One batch is in flight at a time: what finishes while
 * a batch is being made durable waits and goes out as the next batch the moment it is. That costs no latency — a
 * commit made during a running fsync has to wait for the next fsync anyway — and under load it folds many
 * completions (and the claims of the slots they free) into one transaction instead of one each. A crash before a
 * batch is durable loses nothing: those jobs are still `running` under a lease that will expire, and recovery
 * reruns or reconciles them.
 */
import { isTransientConflict, rethrowTransient } from "../storage/errors.js";
import type { EngineCore } from "./core.js";
import type { WriteScope } from "./transitions.js";

/** how often a batch that lost a deadlock runs again before its writes fail (their jobs are then recovered) */
const MAX_CONFLICT_TRIES = 3;

interface Pending {
  write: (scope: WriteScope) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface BatcherOptions {
  /** flush once this many writes wait */
  maxItems: number;
  /**
   * …or once the oldest has waited this long (real time: it is a batching window, not job time). 0 flushes at the
   * end of the current turn of the event loop: everything that finished in that turn (a whole `bets/batch`
   * answer, say) shares the commit, and nothing waits on a timer.
   */
  windowMs: number;
}

/**
 * Work that joins each batch's transaction after its writes (the dispatcher leases new jobs for the slots the
 * batch frees, so one commit both finishes and starts work). Returns what to do once the batch is durable, and
 * what to undo if it is not.
 */
export type BatchTail = (scope: WriteScope) => Promise<TailWork | undefined>;
export interface TailWork {
  committed(): void;
  rolledBack(): void;
}

type Settled = { ok: true; value: unknown } | { ok: false; error: unknown };

export class CommitBatcher {
  readonly #core: EngineCore;
  readonly #opts: BatcherOptions;
  #pending: Pending[] = [];
  #scheduled = false;
  #timer: NodeJS.Timeout | undefined;
  #tail: BatchTail | undefined;
  /** the batch being committed and made durable; the next one waits for it */
  #inFlight: Promise<void> | undefined;

  constructor(core: EngineCore, opts: BatcherOptions) {
    this.#core = core;
    this.#opts = opts;
  }

  set tail(tail: BatchTail) {
    this.#tail = tail;
  }

  /** writes waiting for the next flush */
  get pending(): number {
    return this.#pending.length;
  }

  /** resolves with the write's value once its batch has committed durably */
  submit<T>(write: (scope: WriteScope) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (this.#inFlight !== undefined) return; // it goes out with the next batch, as soon as the one in flight is durable
      if (this.#pending.length >= this.#opts.maxItems) void this.flush();
      else this.#schedule();
    });
  }

  /** commits what waits now, or right after the batch in flight; resolves when nothing submitted is left unwritten */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#scheduled = false;
    while (this.#inFlight !== undefined || this.#pending.length > 0) {
      if (this.#inFlight !== undefined) {
        await this.#inFlight;
        continue;
      }
      const items = this.#pending;
      this.#pending = [];
      this.#inFlight = this.#commit(items).finally(() => {
        this.#inFlight = undefined;
        // what arrived while this batch was in flight goes out now
        if (this.#pending.length > 0) void this.flush();
      });
    }
  }

  /**
   * One transaction for the batch. Items rarely fail, so they first run one after another on the transaction
   * itself (a savepoint each costs PostgreSQL two round trips per item); if one throws, the whole batch is rolled
   * back and runs again with each item in its own savepoint, so that only the failing item is lost.
   */
  async #commit(items: Pending[], tries = 1, guarded = false): Promise<void> {
    const { transitions } = this.#core;
    let outcomes: Settled[];
    let tail: TailWork | undefined;
    let itemFailed = false;
    try {
      outcomes = await this.#core.write(async (scope) => {
        const settled: Settled[] = [];
        // one at a time: savepoints nest, they cannot interleave
        for (const item of items) {
          if (!guarded) {
            scope.optimistic = true;
            try {
              settled.push({ ok: true, value: await item.write(scope) });
            } catch (error) {
              itemFailed = true;
              throw error;
            } finally {
              scope.optimistic = false;
            }
            continue;
          }
          try {
            settled.push({ ok: true, value: await transitions.savepoint(scope, item.write) });
          } catch (error) {
            // a deadlock fails the batch, not the item: the whole transaction runs again
            rethrowTransient(error);
            settled.push({ ok: false, error });
          }
        }
        tail = await this.#tail?.(scope);
        return settled;
      });
    } catch (error) {
      tail?.rolledBack();
      // PostgreSQL broke a deadlock by rolling this batch back: nothing of it happened, so it can simply run again
      if (isTransientConflict(error)) {
        if (tries < MAX_CONFLICT_TRIES) return this.#commit(items, tries + 1, guarded);
      } else if (itemFailed) {
        return this.#commit(items, tries, true);
      }
      for (const item of items) item.reject(error);
      return;
    }
    items.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) item.resolve(outcome.value);
      else item.reject(outcome ? outcome.error : new Error("batch outcome missing"));
    });
    tail?.committed();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#opts.windowMs <= 0) {
      setImmediate(() => {
        if (this.#scheduled) void this.flush();
      });
    } else {
      this.#timer = setTimeout(() => void this.flush(), this.#opts.windowMs);
      this.#timer.unref();
    }
  }
}
