/**
 * Several pf-fleet processes on one database file: real child processes (test/jobs/support/worker.mjs) running
 * the built engine, each writing every run it makes to the `runs` table of a bookkeeping database beside it.
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { JobEngine } from "../../src/jobs/index.js";
import { recordMovement } from "../../src/ledger/index.js";
import { builtJobsModule, WORKER_SCRIPT } from "./support/build.js";
import { type TempDb, tempDb } from "./support/db.js";
import { taskWithArgs, testEngine } from "./support/engine.js";

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  message(type: string): Promise<void>;
}

let modules: { jobs: string; storage: string };

const countBy = (values: string[]) =>
  Object.fromEntries([...new Set(values)].map((v) => [v, values.filter((x) => x === v).length]));

beforeAll(() => {
  modules = builtJobsModule();
});

describe("several processes on one database", () => {
  let t: TempDb;
  /** what the workers did (runs, requests sent), kept apart from the jobs file (see worker.mjs) */
  let book: Database.Database;
  let engine: JobEngine;
  const workers: Worker[] = [];

  const spawnWorker = (owner: string, leaseMs = 30_000): Worker => {
    const child = fork(WORKER_SCRIPT, [], {
      env: {
        ...process.env,
        JOBS_MODULE: modules.jobs,
        STORAGE_MODULE: modules.storage,
        JOBS_DB: t.path,
        RUNS_DB: book.name,
        OWNER: owner,
        LEASE_MS: String(leaseMs),
      },
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    const message = (type: string) =>
      new Promise<void>((resolve, reject) => {
        child.on("message", (m: { type?: string }) => {
          if (m.type === type) resolve();
        });
        child.on("exit", (code) => reject(new Error(`worker ${owner} exited (${code}) before \`${type}\``)));
      });
    const worker = { child, ready: message("ready"), message };
    workers.push(worker);
    return worker;
  };

  const stopWorker = async ({ child }: Worker) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.send("stop");
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
  };

  const runs = (task: string) =>
    book.prepare("SELECT job_id AS jobId, owner FROM runs WHERE task = ?").all(task) as Array<{
      jobId: string;
      owner: string;
    }>;

  beforeEach(() => {
    t = tempDb();
    book = new Database(join(t.dir, "runs.db"));
    book.pragma("journal_mode = WAL");
    book.pragma("busy_timeout = 10000");
    book.exec(`CREATE TABLE runs (job_id TEXT NOT NULL, task TEXT NOT NULL, owner TEXT NOT NULL);
               CREATE TABLE sent (ref TEXT PRIMARY KEY)`);
    // this process's engine enqueues and observes; it is started only where a test says so
    engine = testEngine(t.storage, { settleMs: 50 });
    const retry = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, jitter: 0 };
    const plainArgs = z.object({ n: z.number(), ms: z.number().optional() });
    engine.register(taskWithArgs("work.plain", plainArgs, async () => null, { retry }));
    engine.register(
      taskWithArgs("work.collect", z.looseObject({ results: z.array(z.unknown()) }), async () => null, {
        queue: "analytics",
        retry,
      }),
    );
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map(stopWorker));
    await engine.stop({ graceMs: 100 });
    book.close();
    await t.cleanup();
  });

  it("two processes claiming from one file run each job exactly once", async () => {
    const a = spawnWorker("worker-a");
    const b = spawnWorker("worker-b");
    await Promise.all([a.ready, b.ready]);
    // 5 ms each: one process alone would need ~200 ms, long enough for both to be claiming at once
    const ids = (
      await Promise.all(Array.from({ length: 160 }, (_, n) => engine.enqueue("work.plain", { n, ms: 5 })))
    ).map((job) => job.id);

    for (const id of ids) await engine.wait(id, { timeoutMs: 30_000 });

    expect((await engine.list({ state: "succeeded", limit: 500 })).jobs).toHaveLength(ids.length);
    const all = runs("work.plain");
    const owners = all.map((r) => r.owner);
    expect(all, `runs by owner: ${JSON.stringify(countBy(owners))}`).toHaveLength(ids.length);
    expect(new Set(all.map((r) => r.jobId))).toEqual(new Set(ids));
    // both processes really competed for the same rows
    expect(new Set(owners), `runs by owner: ${JSON.stringify(countBy(owners))}`).toEqual(
      new Set(["worker-a", "worker-b"]),
    );
  });

  it("a chord finished by two processes runs its callback exactly once", async () => {
    const a = spawnWorker("worker-a");
    const b = spawnWorker("worker-b");
    await Promise.all([a.ready, b.ready]);
    const chords = await Promise.all(
      Array.from({ length: 4 }, () =>
        engine.chord({
          members: Array.from({ length: 30 }, (_, n) => ({ task: "work.plain", args: { n } })),
          callback: { task: "work.collect" },
        }),
      ),
    );
    for (const chord of chords) {
      const done = await engine.wait(chord.id, { timeoutMs: 30_000 });
      expect(done).toMatchObject({ state: "succeeded", result: { members: 30 } });
    }
    const callbacks = runs("work.collect");
    expect(callbacks).toHaveLength(chords.length);
    expect(new Set(callbacks.map((r) => r.jobId)).size).toBe(chords.length);
    expect(runs("work.plain")).toHaveLength(30 * chords.length);
  });

  it("a cancel from another process stops a running job within a poll, not at the next heartbeat", async () => {
    // a 30 s lease: that worker's heartbeat comes only every 10 s
    const worker = spawnWorker("worker-a");
    await worker.ready;
    const job = await engine.enqueue("work.plain", { n: 1, ms: 20_000 });
    await expect.poll(async () => (await engine.get(job.id))?.state, { timeout: 5_000, interval: 5 }).toBe("running");

    const asked = Date.now();
    expect((await engine.cancel(job.id, "stop it")).state).toBe("running");
    await expect
      .poll(async () => (await engine.get(job.id))?.state, { timeout: 3_000, interval: 10 })
      .toBe("cancelled");
    expect(Date.now() - asked).toBeLessThan(2_000);
    expect((await engine.get(job.id))?.error).toMatchObject({ code: "CANCELLED" });
  });

  it("a money job whose process died is reconciled on the next start, never re-sent", async () => {
    const doomed = spawnWorker("worker-doomed", 300);
    await doomed.ready;
    let reconciled = 0;
    let sentAgain = 0;
    const sent = (ref: string) => book.prepare("SELECT 1 FROM sent WHERE ref = ?").get(ref) !== undefined;
    engine.register({
      name: "work.money",
      queue: "escrow",
      moneyMoving: true,
      timeLimitMs: 10_000,
      retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, jitter: 0 },
      args: z.object({ ref: z.string() }),
      idempotencyKey: (a) => a.ref,
      run: async () => {
        sentAgain++;
        return null;
      },
      reconcile: async ({ args, onCommit }) => {
        reconciled++;
        if (!sent(args.ref)) return { outcome: "not_done", reason: "absent from the server's records" };
        // the ledger receipt commits with the success, through the job's ReceiptWriter
        onCommit(async (tx) => {
          await recordMovement(tx, {
            agentId: "ag_payer",
            kind: "escrow_release",
            amount: 1_000_000,
            reference: args.ref,
            at: Date.now(),
          });
        });
        return { outcome: "done", result: { ref: args.ref, source: "reconciled" } };
      },
    });
    // listening before the enqueue: the worker may claim and run the job as soon as its row is committed, before
    // the enqueue's fsync lets this process go on (the message was lost that way once, under a loaded CI)
    const wasSent = doomed.message("sent");
    const job = await engine.enqueue("work.money", { ref: "escrow-42" });
    await wasSent;
    doomed.child.kill("SIGKILL");
    await new Promise((resolve) => doomed.child.once("exit", resolve));

    const stranded = await engine.get(job.id);
    expect(stranded).toMatchObject({ state: "running", moneyState: "intent", leaseOwner: "worker-doomed" });
    await expect
      .poll(async () => ((await engine.get(job.id))?.leaseExpiresAt ?? 0) < Date.now(), { timeout: 5_000 })
      .toBe(true);

    await engine.start();
    const done = await engine.wait(job.id, { timeoutMs: 10_000 });
    expect(done).toMatchObject({ state: "succeeded", moneyState: "done", result: { source: "reconciled" } });
    expect({ reconciled, sentAgain }).toEqual({ reconciled: 1, sentAgain: 0 });
    expect(runs("work.money")).toHaveLength(1);
    expect(t.db.prepare("SELECT reference AS ref FROM movements").all()).toEqual([{ ref: "escrow-42" }]);
    expect((await engine.events(job.id)).map((e) => e.reason).join("\n")).toMatch(/lease of worker-doomed expired/);
  });
});
