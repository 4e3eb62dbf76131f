/**
 * Group commit for SQLite without blocking the event loop. Connections run with `synchronous = NORMAL`, so a
 * COMMIT only appends its frames to the WAL (a write into the page cache) and returns; durability comes from
 * `fdatasync` of the WAL file, run here on libuv's thread pool. A transaction is acknowledged (its promise
 * resolves, its events are published, its money call may go out) only after a sync that started after its COMMIT
 * has finished. That is the guarantee `synchronous = FULL` gives, without the main thread waiting on the disk:
 * every commit that lands while one sync runs shares the next one.
 *
 * The WAL is one append-only file, so syncing it also makes every earlier frame durable, including frames another
 * process wrote: work that process saw and acted on is in the same file, before ours. SQLite still syncs the WAL
 * itself before each checkpoint, and the database file after it (NORMAL does that), so nothing a checkpoint
 * copies can be lost. The WAL's inode does not change while a connection of this process holds it open (SQLite
 * deletes it only when the last connection closes), so one file handle serves for the connection's lifetime.
 */
import { existsSync } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

export class WalSync {
  readonly #walPath: string;
  readonly #dbPath: string;
  #handle: Promise<FileHandle> | undefined;
  #running: Promise<void> | undefined;
  /** the commits the running sync covers (those made before it started) */
  #runningCovers = 0;
  #next: Promise<void> | undefined;
  #syncs = 0;
  /** commits this process made, and how many of them a finished sync has covered */
  #written = 0;
  #durable = 0;

  readonly #datasync: (handle: FileHandle) => Promise<void>;

  /** `datasync` is how a file is synced; tests replace it to make the disk fail */
  constructor(dbPath: string, opts: { datasync?: (handle: FileHandle) => Promise<void> } = {}) {
    this.#dbPath = dbPath;
    this.#walPath = `${dbPath}-wal`;
    this.#datasync = opts.datasync ?? ((handle) => handle.datasync());
  }

  /** how many fsyncs ran (each may have covered many commits) */
  get syncs(): number {
    return this.#syncs;
  }

  /** a commit of this process has returned; it is not durable until a sync that starts after it finishes */
  noteCommit(): number {
    return ++this.#written;
  }

  /** how many commits this process has made so far */
  get written(): number {
    return this.#written;
  }

  /** resolves once the first `commits` commits of this process are on disk (at once if they already are) */
  syncThrough(commits: number): Promise<void> {
    if (this.#durable >= commits) return Promise.resolve();
    if (this.#running && this.#runningCovers >= commits) return this.#running;
    return this.sync();
  }

  /** resolves once every commit made before this call is on disk */
  sync(): Promise<void> {
    if (!this.#running) return this.#start();
    // the running sync may have begun before our commit: wait for the one after it, which all such callers share
    this.#next ??= this.#running.then(
      () => this.#afterRunning(),
      () => this.#afterRunning(),
    );
    return this.#next;
  }

  async close(): Promise<void> {
    await this.#running?.catch(() => undefined);
    await this.#next?.catch(() => undefined);
    const handle = await this.#handle?.catch(() => undefined);
    this.#handle = undefined;
    await handle?.close();
  }

  #afterRunning(): Promise<void> {
    this.#next = undefined;
    return this.#start();
  }

  #start(): Promise<void> {
    const covers = this.#written;
    this.#runningCovers = covers;
    const run = this.#fsync().then(() => {
      this.#durable = Math.max(this.#durable, covers);
    });
    const done = () => {
      if (this.#running === run) this.#running = undefined;
    };
    run.then(done, done);
    this.#running = run;
    return run;
  }

  async #fsync(): Promise<void> {
    if (!this.#handle) {
      if (!existsSync(this.#walPath)) {
        // no WAL yet (nothing written in WAL mode): what was written is in the main file
        const main = await open(this.#dbPath, "r");
        await this.#datasync(main).finally(() => main.close());
        this.#syncs++;
        return;
      }
      this.#handle = open(this.#walPath, "r");
    }
    const handle = await this.#handle;
    await this.#datasync(handle);
    this.#syncs++;
  }
}
