/**
 * LISTEN for jobs that became claimable in another process (NOTIFY on `pf_jobs`, sent by the committing
 * transaction), so an idle worker starts a job within milliseconds instead of at its next poll. One connection of
 * its own per process, reconnected with backoff if it drops; the poll stays as the fallback, so a missed
 * notification delays a job by at most one poll interval.
 */
import pg from "pg";
import { JOBS_CHANNEL, types } from "./connection.js";

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

export class JobsListener {
  readonly #url: string;
  readonly #listeners = new Set<(queue: string) => void>();
  #client: pg.Client | undefined;
  #retryMs = RECONNECT_MIN_MS;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(url: string) {
    this.#url = url;
  }

  subscribe(listener: (queue: string) => void): () => void {
    this.#listeners.add(listener);
    if (!this.#client && !this.#timer) void this.#connect();
    return () => {
      this.#listeners.delete(listener);
    };
  }

  async #connect(): Promise<void> {
    this.#timer = undefined;
    if (this.#closed) return;
    const client = new pg.Client({ connectionString: this.#url, types, application_name: "pf-fleet listener" });
    this.#client = client;
    const lost = () => {
      if (this.#client !== client) return;
      this.#client = undefined;
      client.end().catch(() => undefined);
      if (this.#closed) return;
      this.#timer = setTimeout(() => void this.#connect(), this.#retryMs);
      this.#timer.unref();
      this.#retryMs = Math.min(this.#retryMs * 2, RECONNECT_MAX_MS);
    };
    client.on("error", lost);
    client.on("end", lost);
    client.on("notification", (msg) => {
      if (msg.channel !== JOBS_CHANNEL || !msg.payload) return;
      for (const listener of this.#listeners) listener(msg.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${JOBS_CHANNEL}`);
      this.#retryMs = RECONNECT_MIN_MS;
      // jobs may have been enqueued while no one listened: every subscriber looks once
      for (const listener of this.#listeners) listener("*");
    } catch {
      lost();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }
}
