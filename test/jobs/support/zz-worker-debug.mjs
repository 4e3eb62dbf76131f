// A pf-fleet worker process for the multi-process tests: one job engine on a shared database file, running the
// test tasks below. It writes every run to the `runs` table, so the parent test can count runs per job.

import Database from "better-sqlite3";
import { z } from "zod";

const { createJobEngine } = await import(process.env.JOBS_MODULE);
const { openStorage } = await import(process.env.STORAGE_MODULE);

const owner = process.env.OWNER;
const storage = await openStorage(process.env.JOBS_DB);
// the test's own bookkeeping, on a connection of its own
const db = new Database(process.env.JOBS_DB);
db.pragma("busy_timeout = 10000");
db.exec(`CREATE TABLE IF NOT EXISTS runs (job_id TEXT NOT NULL, task TEXT NOT NULL, owner TEXT NOT NULL);
         CREATE TABLE IF NOT EXISTS sent (ref TEXT PRIMARY KEY)`);
const recordRun0 = db.prepare("INSERT INTO runs (job_id, task, owner) VALUES (?, ?, ?)");
const recordRun = { run: (...a) => { const t0 = Date.now(); try { return recordRun0.run(...a); } catch (e) { console.error("DBG", owner, "recordRun failed", Date.now() - t0, String(e)); throw e; } finally { const d = Date.now() - t0; if (d > 50) console.error("DBG", owner, "recordRun took", d); } } };
let last = Date.now();
setInterval(() => { const now = Date.now(); if (now - last > 300) console.error("DBG", owner, "event loop lag", now - last); last = now; }, 100).unref();
process.on("unhandledRejection", (e) => console.error("DBG", owner, "unhandled", String(e)));
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
  logger: (await import("pino")).default({ level: "warn" }, process.stderr),
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
