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
 * system must first allocate. So a second pass follows at once, while this process's writers wait their turn (the
 * storage's writer lock, taken without blocking the event loop; 1.5-4 ms in that run): it copies what landed
 * meanwhile, and with every frame in the file it makes one small write that starts the WAL again from the top
 * (~19 MB at most in that run). Starting the WAL fsyncs its new header; made here, that fsync runs on this thread,
 * where the next commit would have run it on the main thread.
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

type Request = { op: "checkpoint" | "release"; id: number; path: string; restart?: boolean };

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
    const [result] = conn.pragma("wal_checkpoint(PASSIVE)");
    if (request.restart && result.busy === 0 && result.log === result.checkpointed) restartWal(conn);
  } catch (err) { error = String(err && err.message || err); }
  parentPort.postMessage({ id: request.id, error });
});
// Every frame is in the file: the next write starts the WAL again, and fsyncs its new header. Making that write
// here (page 1 rewritten as it is: user_version set to its own value; an UPDATE to the same value writes nothing)
// keeps that fsync off the main thread. A writer of another process holding the lock: skipped, not waited for.
function restartWal(conn) {
  conn.pragma("busy_timeout = 0");
  try {
    conn.exec("BEGIN IMMEDIATE");
    try {
      conn.pragma("user_version = " + conn.pragma("user_version", { simple: true }));
      conn.exec("COMMIT");
    } catch (err) { conn.exec("ROLLBACK"); throw err; }
  } catch (err) { if (err.code !== "SQLITE_BUSY") throw err; }
  finally { conn.pragma("busy_timeout = 1000"); }
}
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

  /**
   * Resolves with the error message of a failed checkpoint, or null. With `restart`, a checkpoint that copied every
   * frame also makes the write that starts the WAL again (no writer of this process may be in a transaction).
   */
  checkpoint(path: string, restart = false): Promise<string | null> {
    return this.#ask("checkpoint", path, restart);
  }

  #ask(op: Request["op"], path: string, restart = false): Promise<string | null> {
    const id = this.#nextId++;
    const worker = this.#started();
    // held open while a request is out: someone (a storage's close) may be waiting for the answer
    if (this.#pending.size === 0) worker.ref();
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      worker.postMessage({ op, id, path, restart } satisfies Request);
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
    // Copy what commits added while it ran (it copied only the frames it saw at its start), with no commit of this
    // process under way, and start the WAL again on the checkpoint thread (another process's writers may still
    // add frames: best effort). Without writers of this process to wait for, this pass costs ~1 ms of the thread.
    if (!error && this.#pauseWriters) {
      await this.#pauseWriters(async () => {
        this.#again = false;
        error = await thread.checkpoint(this.#path, true);
      });
    }
    if (error) this.#onError(error);
  }
}
