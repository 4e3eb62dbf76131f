/**
 * Group commit: completions are written in batches, one transaction (one fsync under synchronous=FULL) per
 * batch, each completion in its own savepoint so one bad write does not sink its neighbours. A crash before a
 * flush loses nothing: those jobs are still `running` under a lease that will expire, and recovery reruns or
 * reconciles them.
 */
import type { EngineCore } from "./core.js";
import { newScope, type WriteScope } from "./transitions.js";

interface Pending {
  write: (scope: WriteScope) => unknown;
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
 * batch frees, so one commit both finishes and starts work). Returns what to do once the batch has committed.
 */
export type BatchTail = (scope: WriteScope) => (() => void) | undefined;

export class CommitBatcher {
  readonly #core: EngineCore;
  readonly #publish: (scope: WriteScope) => void;
  readonly #opts: BatcherOptions;
  #pending: Pending[] = [];
  #scheduled = false;
  #timer: NodeJS.Timeout | undefined;
  #tail: BatchTail | undefined;

  constructor(core: EngineCore, publish: (scope: WriteScope) => void, opts: BatcherOptions) {
    this.#core = core;
    this.#publish = publish;
    this.#opts = opts;
  }

  set tail(tail: BatchTail) {
    this.#tail = tail;
  }

  /** writes waiting for the next flush */
  get pending(): number {
    return this.#pending.length;
  }

  /** resolves with the write's value once its batch has committed */
  submit<T>(write: (scope: WriteScope) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (this.#pending.length >= this.#opts.maxItems) this.flush();
      else this.#schedule();
    });
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#scheduled = false;
    const items = this.#pending;
    this.#pending = [];
    if (items.length === 0) return;
    const { store, transitions, clock } = this.#core;
    const scope = newScope(clock.now());
    let outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>;
    let afterCommit: (() => void) | undefined;
    try {
      outcomes = store.transaction(() => {
        const settled = items.map((item) => {
          try {
            return { ok: true as const, value: transitions.savepoint(scope, item.write) };
          } catch (error) {
            return { ok: false as const, error };
          }
        });
        afterCommit = this.#tail?.(scope);
        return settled;
      });
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    this.#publish(scope);
    items.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) item.resolve(outcome.value);
      else item.reject(outcome ? outcome.error : new Error("batch outcome missing"));
    });
    afterCommit?.();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    if (this.#opts.windowMs <= 0) {
      setImmediate(() => {
        if (this.#scheduled) this.flush();
      });
    } else {
      this.#timer = setTimeout(() => this.flush(), this.#opts.windowMs);
      this.#timer.unref();
    }
  }
}
