/**
 * WAL checkpoints off the event loop. A checkpoint copies the WAL's pages into the database file and fsyncs both,
 * which SQLite would otherwise do inside some COMMIT on the main thread every 1,000 pages. Here the main connection
 * never checkpoints (`wal_autocheckpoint = 0`); a worker thread with a connection of its own runs a PASSIVE
 * checkpoint (it never waits for, or blocks, a writer or reader) shortly after commits have happened. Other
 * processes on the file checkpoint the same way; SQLite serialises checkpoints itself.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

// Plain CommonJS: evaluated as the worker's script, so it needs no build step of its own.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 1000");
db.pragma("synchronous = NORMAL");
parentPort.on("message", () => {
  let error = null;
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch (err) { error = String(err && err.message || err); }
  parentPort.postMessage(error);
});
`;

export class Checkpointer {
  readonly #path: string;
  readonly #delayMs: number;
  readonly #onError: (message: string) => void;
  #worker: Worker | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;
  #closed = false;

  constructor(path: string, opts: { delayMs?: number; onError?: (message: string) => void } = {}) {
    this.#path = path;
    this.#delayMs = opts.delayMs ?? 1_000;
    this.#onError = opts.onError ?? (() => {});
  }

  /** commits happened: checkpoint soon (many commits share one checkpoint) */
  poke(): void {
    if (this.#closed) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#run(), this.#delayMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#worker?.terminate();
    this.#worker = undefined;
  }

  #run(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    this.#running = true;
    this.#started().postMessage("checkpoint");
  }

  #started(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver: BETTER_SQLITE3, path: this.#path } });
    worker.unref();
    worker.on("message", (error: string | null) => {
      if (error) this.#onError(error);
      this.#running = false;
      if (this.#again) {
        this.#again = false;
        this.poke();
      }
    });
    worker.on("error", (err) => {
      this.#onError(err.message);
      this.#worker = undefined;
      this.#running = false;
    });
    this.#worker = worker;
    return worker;
  }
}
