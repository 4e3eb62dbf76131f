/**
 * The engine's sense of time. Due times, leases, backoff, expiry, TTL, time limits and wait timeouts all come
 * from one `Clock`, so a test can move time forward and SQLite sees the same time as the timers.
 */

export interface ClockTimer {
  cancel(): void;
}

export interface Clock {
  /** ms since epoch */
  now(): number;
  /** runs `fn` once `ms` have passed on this clock */
  setTimeout(fn: () => void, ms: number): ClockTimer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    // unref: an engine someone forgot to stop must not keep the process alive
    const handle = setTimeout(fn, Math.max(0, ms));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * A clock that moves only when told to. `advance` fires due timers in time order, each with `now()` set to its
 * own due time, so a chain of timers behaves exactly as it would in real time.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start: number = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const id = this.#nextId++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return { cancel: () => this.#timers.delete(id) };
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance needs a finite ms ≥ 0, got \`${ms}\``);
    const target = this.#now + ms;
    for (let next = this.#earliest(target); next; next = this.#earliest(target)) {
      this.#timers.delete(next.id);
      this.#now = next.at;
      next.fn();
    }
    this.#now = target;
  }

  /** timers still waiting; lets a test see that something is scheduled */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  #earliest(limit: number): { id: number; at: number; fn: () => void } | undefined {
    let best: { id: number; at: number; fn: () => void } | undefined;
    for (const [id, t] of this.#timers) {
      if (t.at <= limit && (!best || t.at < best.at || (t.at === best.at && id < best.id))) best = { id, ...t };
    }
    return best;
  }
}
