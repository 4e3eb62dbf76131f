/**
 * The database's clock, kept in this process. Several machines share one database and their own clocks drift
 * (by seconds, in real life); leases, due times and rate windows must be read against one clock or a worker that
 * runs ahead takes a lease too early or spends a rate window that has not begun on the server's side. Asking the
 * database for every `now()` would put a round trip in every timer, so this clock measures its offset from the
 * database NTP-style (the sample with the shortest round trip, its midpoint) and re-measures every minute:
 * `now()` is this machine's clock plus that offset, within half a round trip (well under a millisecond on a LAN)
 * of the database's. Timers still run on this machine's monotonic time: a duration is the same everywhere.
 */
import type { Storage } from "../storage/types.js";
import { type Clock, systemClock } from "./clock.js";

const SAMPLES = 5;
const RESYNC_MS = 60_000;

export class DatabaseClock implements Clock {
  readonly #storage: Pick<Storage, "databaseTime">;
  #offsetMs = 0;
  #timer: NodeJS.Timeout | undefined;

  private constructor(storage: Pick<Storage, "databaseTime">) {
    this.#storage = storage;
  }

  /** measures the offset once, then keeps it fresh until `stop` */
  static async start(storage: Pick<Storage, "databaseTime">): Promise<DatabaseClock> {
    const clock = new DatabaseClock(storage);
    await clock.sync();
    clock.#timer = setInterval(() => {
      // a failed re-measure keeps the last offset: clocks drift by ms per hour, not per minute
      clock.sync().catch(() => undefined);
    }, RESYNC_MS);
    clock.#timer.unref();
    return clock;
  }

  /** how far the database's clock is ahead of this machine's, ms */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  now(): number {
    return Date.now() + this.#offsetMs;
  }

  setTimeout(fn: () => void, ms: number) {
    return systemClock.setTimeout(fn, ms);
  }

  async sync(): Promise<void> {
    let best: { rtt: number; offset: number } | undefined;
    for (let i = 0; i < SAMPLES; i++) {
      const sent = performance.now();
      const sentWall = Date.now();
      const dbTime = await this.#storage.databaseTime();
      const rtt = performance.now() - sent;
      const offset = dbTime - (sentWall + rtt / 2);
      if (!best || rtt < best.rtt) best = { rtt, offset };
    }
    if (best) this.#offsetMs = Math.round(best.offset);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
