/**
 * WAL checkpoints off the event loop. A checkpoint copies the WAL's pages into the database file and fsyncs both,
 * which SQLite would otherwise do inside some COMMIT on the main thread every 1,000 pages. Here the main connection
 * never checkpoints (`wal_autocheckpoint = 0`); a worker thread with a connection of its own runs a PASSIVE
 * checkpoint (it never waits for, or blocks, a writer or reader) 200 ms after commits have happened. Other
 * processes on the file checkpoint the same way; SQLite serialises checkpoints itself.
 *
 * A PASSIVE checkpoint copies the frames that were in the WAL when it began; commits that land meanwhile are left
 * for the next one. Under a steady stream of commits it never catches up, so SQLite never starts the WAL again from
 * the top: the file only grows (~90 MB over a 10,000-bet bench run), and every commit appends to pages the file
 * system must first allocate. So when commits landed during a checkpoint, a second pass copies them while this
 * process's writers wait their turn (the storage's writer lock, taken without blocking the event loop; 1.5-4 ms in
 * that run); the WAL is then fully checkpointed and the next commit writes it from the start again (~19 MB at most).
 *
 * One thread serves every storage of the process (one connection per file), started when the first storage opens.
 * Creating a V8 isolate resets how the main thread's young generation may grow (src/heap.ts); when that growth has
 * been stopped, starting the thread waits until its isolate exists and stops it again, or the next collections
 * would double the young generation while the thread boots.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { isolateStarted, youngGenerationStopped } from "../../heap.js";

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

type Request = { op: "checkpoint" | "release"; id: number; path: string };

// Plain CommonJS: evaluated as the worker's script, so it needs no build step of its own.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
Atomics.store(workerData.ready, 0, 1);
Atomics.notify(workerData.ready, 0);
const Database = require(workerData.driver);
const connections = new Map();
parentPort.on("message", (request) => {
  const db = connections.get(request.path);
  let error = null;
  if (request.op === "release") {
    connections.delete(request.path);
    try { if (db) db.close(); } catch (err) { error = String(err && err.message || err); }
    parentPort.postMessage({ id: request.id, error });
    return;
  }
  try {
    let conn = db;
    if (!conn) {
      conn = new Database(request.path);
      conn.pragma("busy_timeout = 1000");
      conn.pragma("synchronous = NORMAL");
      connections.set(request.path, conn);
    }
    conn.pragma("wal_checkpoint(PASSIVE)");
  } catch (err) { error = String(err && err.message || err); }
  parentPort.postMessage({ id: request.id, error });
});
`;

/** The process's checkpoint thread: started once, holds the process open only while asked for a checkpoint. */
class CheckpointThread {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<number, (error: string | null) => void>();
  /** storages using each file; its connection is closed when the last one goes */
  readonly #users = new Map<string, number>();

  attach(path: string): void {
    this.#users.set(path, (this.#users.get(path) ?? 0) + 1);
    this.#started();
  }

  /**
   * Resolves once the thread's connection to the file is closed. The storage closes its own connection only after
   * that: the last connection to close deletes the WAL, and two closing at once can each see the other and leave it.
   */
  async detach(path: string): Promise<void> {
    const users = (this.#users.get(path) ?? 1) - 1;
    if (users > 0) {
      this.#users.set(path, users);
      return;
    }
    this.#users.delete(path);
    // a thread that died took its connections with it
    if (this.#worker) await this.#ask("release", path);
  }

  /** resolves with the error message of a failed checkpoint, or null */
  checkpoint(path: string): Promise<string | null> {
    return this.#ask("checkpoint", path);
  }

  #ask(op: Request["op"], path: string): Promise<string | null> {
    const id = this.#nextId++;
    const worker = this.#started();
    // held open while a request is out: someone (a storage's close) may be waiting for the answer
    if (this.#pending.size === 0) worker.ref();
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      worker.postMessage({ op, id, path } satisfies Request);
    });
  }

  #started(): Worker {
    if (this.#worker) return this.#worker;
    const ready = new Int32Array(new SharedArrayBuffer(4));
    // execArgv: none of node's, which are for the main script (`--input-type=module` would make this one ESM)
    const workerData = { driver: BETTER_SQLITE3, ready };
    const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData });
    if (youngGenerationStopped()) {
      // ~50-130 ms, once per process: until the thread's isolate exists and the heap's setting can be put back
      Atomics.wait(ready, 0, 0, 1_000);
      isolateStarted();
    }
    worker.on("message", ({ id, error }: { id: number; error: string | null }) => {
      this.#pending.get(id)?.(error);
      this.#pending.delete(id);
      if (this.#pending.size === 0) worker.unref();
    });
    const died = (message: string) => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      for (const resolve of this.#pending.values()) resolve(message);
      this.#pending.clear();
    };
    worker.on("error", (err) => died(err.message));
    worker.on("exit", (code) => died(`the checkpoint thread exited (code ${code})`));
    // after the listeners: attaching one refs the worker again
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}

const thread = new CheckpointThread();

/** Runs `fn` while none of this process's writers is in a transaction on the file (they wait, asynchronously). */
export type WriterPause = (fn: () => Promise<void>) => Promise<void>;

/** Checkpoints one storage's file soon after its commits. */
export class Checkpointer {
  readonly #path: string;
  readonly #delayMs: number;
  readonly #onError: (message: string) => void;
  #pauseWriters: WriterPause | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;

  constructor(path: string, opts: { delayMs?: number; onError?: (message: string) => void } = {}) {
    this.#path = path;
    this.#delayMs = opts.delayMs ?? 200;
    this.#onError = opts.onError ?? (() => {});
    thread.attach(path);
  }

  /** the storage's writer lock, for the pass that lets the WAL start again (without it, passes are PASSIVE only) */
  useWriterPause(pause: WriterPause): void {
    this.#pauseWriters = pause;
  }

  /** commits happened: checkpoint soon (many commits share one checkpoint) */
  poke(): void {
    if (this.#closed) return;
    if (this.#running !== undefined) {
      this.#again = true;
      return;
    }
    if (this.#timer) return;
    this.#timer = setTimeout(() => this.#run(), this.#delayMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
    await thread.detach(this.#path);
  }

  #run(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    this.#running = this.#checkpoint().then(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.poke();
      }
    });
  }

  async #checkpoint(): Promise<void> {
    let error = await thread.checkpoint(this.#path);
    // commits landed while it ran (it copied only the frames it saw at its start): copy those too, with no commit
    // of this process under way (another process's writers may still add some: best effort)
    if (!error && this.#again && this.#pauseWriters) {
      await this.#pauseWriters(async () => {
        this.#again = false;
        error = await thread.checkpoint(this.#path);
      });
    }
    if (error) this.#onError(error);
  }
}
