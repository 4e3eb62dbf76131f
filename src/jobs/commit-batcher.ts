/**
 * Group commit: completions are written in batches, one transaction (one fsync under synchronous=FULL) per
 * batch, each completion in its own savepoint so one bad write does not sink its neighbours. A crash before a
 * flush loses nothing: those jobs are still `running` under a lease that will expire, and recovery reruns or
 * reconciles them.
 */
import type { EngineCore } from "./core.js";
import type { JobChange, WriteScope } from "./transitions.js";

interface Pending {
  write: (scope: WriteScope) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface BatcherOptions {
  /** flush once this many writes wait */
  maxItems: number;
  /** …or once the oldest has waited this long (real time: it is a batching window, not job time) */
  windowMs: number;
}

export class CommitBatcher {
  readonly #core: EngineCore;
  readonly #publish: (changes: JobChange[]) => void;
  readonly #opts: BatcherOptions;
  #pending: Pending[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(core: EngineCore, publish: (changes: JobChange[]) => void, opts: BatcherOptions) {
    this.#core = core;
    this.#publish = publish;
    this.#opts = opts;
  }

  /** resolves with the write's value once its batch has committed */
  submit<T>(write: (scope: WriteScope) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (this.#pending.length >= this.#opts.maxItems) this.flush();
      else if (!this.#timer) {
        this.#timer = setTimeout(() => this.flush(), this.#opts.windowMs);
        this.#timer.unref();
      }
    });
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const items = this.#pending;
    this.#pending = [];
    if (items.length === 0) return;
    const { store, transitions, clock } = this.#core;
    const scope: WriteScope = { now: clock.now(), changes: [] };
    let outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>;
    try {
      outcomes = store.transaction(() =>
        items.map((item) => {
          try {
            return { ok: true as const, value: transitions.savepoint(scope, item.write) };
          } catch (error) {
            return { ok: false as const, error };
          }
        }),
      );
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    this.#publish(scope.changes);
    items.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome?.ok) item.resolve(outcome.value);
      else item.reject(outcome ? outcome.error : new Error("batch outcome missing"));
    });
  }
}
