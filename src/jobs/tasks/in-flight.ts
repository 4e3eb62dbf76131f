/**
 * Money requests this process has sent and not yet heard the end of, by idempotency key.
 *
 * A money POST is never aborted once sent: aborting cannot unsend it, it only throws away the answer that
 * would prove what happened. So a job that is cancelled or hits its time limit lets its request run to its
 * answer or the client's own deadline, and its reconciliation first waits here — the server's records are
 * read only once this process can no longer add to them.
 */
export class InFlight {
  readonly #held = new Map<string, Promise<void>>();

  /** Remembers `call` under `key` until it settles; returns it unchanged. */
  track<T>(key: string, call: Promise<T>): Promise<T> {
    const settled = call.then(
      () => undefined,
      () => undefined,
    );
    this.#held.set(key, settled);
    void settled.then(() => {
      if (this.#held.get(key) === settled) this.#held.delete(key);
    });
    return call;
  }

  /** Resolves once no request under `key` is open in this process. */
  released(key: string): Promise<void> {
    return this.#held.get(key) ?? Promise.resolve();
  }
}
