// A pf-fleet worker process for the multi-process tests: one job engine on a shared database file, running the
// test tasks below. It writes every run to the `runs` table of a bookkeeping database of the test's own (RUNS_DB),
// so the parent test can count runs per job.

import Database from "better-sqlite3";
import { z } from "zod";

const { createJobEngine } = await import(process.env.JOBS_MODULE);
const { openStorage } = await import(process.env.STORAGE_MODULE);

const owner = process.env.OWNER;
const storage = await openStorage(process.env.JOBS_DB);
// The test's own bookkeeping, in a file of its own: the engine's connection may hold the jobs file's write lock
// while a task starts (a transaction body spans microtasks), and a second connection of this process writing the
// jobs file then would sleep in SQLite's busy handler, on the thread that has to finish that transaction.
const db = new Database(process.env.RUNS_DB);
db.pragma("busy_timeout = 10000");
const recordRun = db.prepare("INSERT INTO runs (job_id, task, owner) VALUES (?, ?, ?)");
const recordSent = db.prepare("INSERT INTO sent (ref) VALUES (?)");

const engine = createJobEngine({
  storage,
  config: {
    concurrency: { casino: 4, escrow: 2, wallet: 2, analytics: 2, default: 4 },
    resultTtlMs: 86_400_000,
    alertWebhookUrl: undefined,
  },
  ownerId: owner,
  leaseMs: Number(process.env.LEASE_MS ?? 30_000),
  pollMs: 5,
  sweepMs: 50,
  commitWindowMs: 2,
  settleMs: 50,
});

const retry = { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100, jitter: 0 };

engine.register({
  name: "work.plain",
  queue: "default",
  moneyMoving: false,
  timeLimitMs: 10_000,
  retry,
  args: z.object({ n: z.number(), ms: z.number().optional() }),
  run: async ({ job, args }) => {
    recordRun.run(job.id, "work.plain", owner);
    await new Promise((resolve) => setTimeout(resolve, args.ms ?? 2));
    return { n: args.n, owner };
  },
});

engine.register({
  name: "work.collect",
  queue: "analytics",
  moneyMoving: false,
  timeLimitMs: 10_000,
  retry,
  args: z.looseObject({ results: z.array(z.unknown()) }),
  run: async ({ job, args }) => {
    recordRun.run(job.id, "work.collect", owner);
    return { members: args.results.length };
  },
});

engine.register({
  name: "work.money",
  queue: "escrow",
  moneyMoving: true,
  timeLimitMs: 60_000,
  retry,
  args: z.object({ ref: z.string() }),
  idempotencyKey: (args) => args.ref,
  run: async ({ job, args }) => {
    recordRun.run(job.id, "work.money", owner);
    // the "server" has processed the request; then this process dies before it can record the answer
    recordSent.run(args.ref);
    process.send?.({ type: "sent", ref: args.ref });
    return new Promise(() => {});
  },
  reconcile: async () => ({ outcome: "unknown", reason: "this worker never reconciles" }),
});

await engine.start();
process.send?.({ type: "ready" });

process.on("message", async (message) => {
  if (message !== "stop") return;
  await engine.stop({ graceMs: 1_000 });
  await storage.close();
  db.close();
  process.exit(0);
});
