/**
 * Gathers concurrent requests per lane (e.g. per agent) for a few milliseconds and hands them over as one
 * group, so many jobs share one upstream call (`bets/batch`, one `bets/export.csv`). Each caller still gets
 * its own answer. A lane sends its groups one after another; while it waits for permission to send (rate-limit
 * tokens), newcomers join the group, so groups fill up exactly when calls are scarce.
 */

export interface Waiter<I, O> {
  item: I;
  signal: AbortSignal | undefined;
  resolve(value: O): void;
  reject(reason: unknown): void;
}

export interface MicroBatcherOptions<I, O> {
  /** how long the first item of a group waits for company */
  gatherMs: number;
  /** the largest group */
  maxItems: number;
  /** awaited before each group is taken (rate-limit tokens); rejecting fails the waiting items as not sent */
  beforeFlush?: (lane: string) => Promise<void>;
  /** sends one group; must resolve or reject every waiter, and should not throw */
  flush(lane: string, waiters: Array<Waiter<I, O>>): Promise<void>;
  /** the error for an item whose signal aborted before it was sent */
  notSent(item: I, reason: unknown): unknown;
}

interface Lane<I, O> {
  waiters: Array<Waiter<I, O>>;
  pumping: boolean;
  wake: (() => void) | null;
}

export class MicroBatcher<I, O> {
  readonly #opts: MicroBatcherOptions<I, O>;
  readonly #lanes = new Map<string, Lane<I, O>>();

  constructor(opts: MicroBatcherOptions<I, O>) {
    if (!Number.isInteger(opts.maxItems) || opts.maxItems < 1) {
      throw new RangeError(`maxItems must be an integer ≥ 1, got \`${opts.maxItems}\``);
    }
    this.#opts = opts;
  }

  submit(lane: string, item: I, signal?: AbortSignal): Promise<O> {
    if (signal?.aborted) return Promise.reject(this.#opts.notSent(item, signal.reason));
    return new Promise<O>((resolve, reject) => {
      let l = this.#lanes.get(lane);
      if (!l) {
        l = { waiters: [], pumping: false, wake: null };
        this.#lanes.set(lane, l);
      }
      l.waiters.push({ item, signal, resolve, reject });
      if (!l.pumping) void this.#pump(lane, l);
      else if (l.waiters.length >= this.#opts.maxItems) l.wake?.();
    });
  }

  /** items waiting to be sent, all lanes */
  get pending(): number {
    let n = 0;
    for (const l of this.#lanes.values()) n += l.waiters.length;
    return n;
  }

  async #pump(name: string, lane: Lane<I, O>): Promise<void> {
    lane.pumping = true;
    try {
      while (lane.waiters.length > 0) {
        if (lane.waiters.length < this.#opts.maxItems) await this.#gather(lane);
        if (this.#opts.beforeFlush) {
          try {
            await this.#opts.beforeFlush(name);
          } catch (err) {
            for (const w of lane.waiters.splice(0)) w.reject(this.#opts.notSent(w.item, err));
            continue;
          }
        }
        const group = this.#take(lane);
        if (group.length > 0) void this.#opts.flush(name, group);
      }
    } finally {
      // No await between the loop's last check and here, so no submit can slip in unseen.
      lane.pumping = false;
      if (lane.waiters.length === 0) this.#lanes.delete(name);
    }
  }

  #gather(lane: Lane<I, O>): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.#opts.gatherMs);
      function done(): void {
        clearTimeout(timer);
        lane.wake = null;
        resolve();
      }
      lane.wake = done;
    });
  }

  /** Up to maxItems still-wanted items; those whose caller gave up are answered "not sent". */
  #take(lane: Lane<I, O>): Array<Waiter<I, O>> {
    const group: Array<Waiter<I, O>> = [];
    while (group.length < this.#opts.maxItems && lane.waiters.length > 0) {
      const w = lane.waiters.shift() as Waiter<I, O>;
      if (w.signal?.aborted) w.reject(this.#opts.notSent(w.item, w.signal.reason));
      else group.push(w);
    }
    return group;
  }
}

/** A signal that aborts once every one of `signals` has (a shared call serves them all until then). */
export function whenAllAborted(signals: ReadonlyArray<AbortSignal | undefined>): AbortSignal | undefined {
  if (signals.length === 0 || signals.includes(undefined)) return undefined;
  // one job's lookups share its signal: listen once per signal, not once per lookup
  const live = [...new Set(signals as AbortSignal[])];
  const controller = new AbortController();
  let remaining = live.filter((s) => !s.aborted).length;
  if (remaining === 0) controller.abort(live[0]?.reason);
  for (const s of live) {
    if (s.aborted) continue;
    s.addEventListener(
      "abort",
      () => {
        remaining -= 1;
        if (remaining === 0) controller.abort(s.reason);
      },
      { once: true },
    );
  }
  return controller.signal;
}
