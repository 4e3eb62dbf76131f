/**
 * D1 under faults: three worker processes (the built dist/) share one database and a tight per-agent rate limit
 * (3 calls per second per agent) while jobs for four agents arrive faster than the limit lets them run; one
 * worker is SIGKILLed mid-way and started again, and 10 % of attempts fail with a transient error. Every job
 * that waited for rate-limit tokens must keep its place: no job of an agent is claimed while an older job of
 * the same agent is waiting for tokens (the job_events log, in commit order, is the witness).
 */
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createJobEngine, type JobEngine, type JobRow } from "../../src/jobs/index.js";
import { openStorage, type Storage } from "../../src/storage/index.js";
import { rawRows, type TempDatabase, tempDatabase } from "../support/database.js";
import { spawnWorker, stopWorker, type Worker } from "./processes.js";

const WORKER = fileURLToPath(new URL("./fifo-worker.mjs", import.meta.url));
const AGENTS = ["a", "b", "c", "d"];
const LIMIT = 3;
const WINDOW_MS = 1_000;
const JOBS = 200;
/** jobs arrive at ~20/s, the limit lets 12/s run: a backlog builds up for every agent */
const ARRIVAL_MS = 50;

function startWorker(dbPath: string): Promise<Worker> {
  return spawnWorker(WORKER, { dbPath, limit: LIMIT, windowMs: WINDOW_MS, failRate: 0.1, concurrency: 4 });
}

/** The parent only enqueues: the same task definition, never started. */
function enqueuer(storage: Storage): JobEngine {
  const engine = createJobEngine({
    storage,
    config: {
      concurrency: { casino: 4, escrow: 1, wallet: 1, analytics: 1, default: 1 },
      resultTtlMs: 3_600_000,
      alertWebhookUrl: undefined,
    },
  });
  engine.register({
    name: "fifo.step",
    queue: "casino",
    moneyMoving: false,
    timeLimitMs: 10_000,
    retry: { maxAttempts: 20, baseDelayMs: 100, maxDelayMs: 400, jitter: 0.2 },
    args: z.object({ agent: z.string(), n: z.number() }),
    rateLimits: (args) => [{ key: `fifo:agent:${args.agent}`, limit: LIMIT, windowMs: WINDOW_MS }],
    run: async () => "ok",
  });
  return engine;
}

interface Overtake {
  agent: string;
  waiting: number;
  claimed: number;
}

/**
 * Replays the event log in commit order, per agent: a job is waiting from a rate-limit refusal until its next
 * claim; a run-phase claim of a job while an older job of its agent waits is an overtake.
 */
function overtakes(
  events: Array<{ job_id: string; reason: string }>,
  order: ReadonlyMap<string, { agent: string; n: number }>,
) {
  const waiting = new Map<string, Set<number>>();
  const found: Overtake[] = [];
  const refusals = new Map<string, number>();
  for (const e of events) {
    const job = order.get(e.job_id);
    if (!job) continue;
    const line = waiting.get(job.agent) ?? new Set<number>();
    waiting.set(job.agent, line);
    if (/^waiting \d+ ms .*rate-limit tokens/.test(e.reason)) {
      line.add(job.n);
      refusals.set(e.job_id, (refusals.get(e.job_id) ?? 0) + 1);
    } else if (/^claimed by .*: attempt \d+/.test(e.reason)) {
      for (const older of line) if (older < job.n) found.push({ agent: job.agent, waiting: older, claimed: job.n });
      line.delete(job.n);
    }
  }
  return { found, maxRefusals: Math.max(0, ...refusals.values()), jobsThatWaited: refusals.size };
}

describe("FIFO rate-limit waits across processes, under crashes and transient failures", () => {
  let db: TempDatabase;
  let storage: Storage;
  const workers: Worker[] = [];

  beforeAll(async () => {
    db = await tempDatabase("pf-fifo-");
    storage = await openStorage(db.location);
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w)));
    await storage?.close();
    await db?.remove();
  });

  it("no job is claimed while an older job of its agent waits for tokens", async () => {
    const started = Date.now();
    for (let i = 0; i < 3; i++) workers.push(await startWorker(db.location));
    const engine = enqueuer(storage);
    const order = new Map<string, { agent: string; n: number }>();
    const jobs: JobRow[] = [];
    const seq = new Map(AGENTS.map((a) => [a, 0]));
    let killed = false;
    for (let i = 0; i < JOBS; i++) {
      const agent = AGENTS[Math.floor(Math.random() * AGENTS.length)] as string;
      const n = (seq.get(agent) ?? 0) + 1;
      seq.set(agent, n);
      const job = await engine.enqueue("fifo.step", { agent, n });
      order.set(job.id, { agent, n });
      jobs.push(job);
      if (!killed && i === JOBS / 2) {
        // a crash mid-way: its claimed and running jobs come back when their leases run out
        killed = true;
        const victim = workers.shift() as Worker;
        victim.child.kill("SIGKILL");
        await victim.exited;
        workers.push(await startWorker(db.location));
      }
      await new Promise((r) => setTimeout(r, ARRIVAL_MS));
    }

    const deadline = Date.now() + 45_000;
    let states: string[] = [];
    for (;;) {
      const rows = await rawRows<{ state: string; n: number }>(
        storage,
        "SELECT state, COUNT(*) AS n FROM jobs WHERE task = 'fifo.step' GROUP BY state",
      );
      states = rows.map((r) => `${r.state}:${r.n}`);
      const done = rows.find((r) => r.state === "succeeded");
      if (done && Number(done.n) === JOBS) break;
      if (Date.now() > deadline) throw new Error(`jobs not done within the soak: ${states.join(", ")}`);
      await new Promise((r) => setTimeout(r, 200));
    }

    const events = await rawRows<{ job_id: string; reason: string }>(
      storage,
      "SELECT job_id, reason FROM job_events ORDER BY seq",
    );
    const result = overtakes(events, order);
    const summary = {
      jobs: JOBS,
      jobsThatWaited: result.jobsThatWaited,
      maxRefusalsOfOneJob: result.maxRefusals,
      overtakes: result.found.length,
      firstOvertakes: result.found.slice(0, 5),
      seconds: Math.round((Date.now() - started) / 1_000),
    };
    console.log(`fifo soak (${storage.dialect}): ${JSON.stringify(summary)}`);
    // the limit really made jobs wait, many of them more than once
    expect(result.jobsThatWaited).toBeGreaterThan(JOBS / 4);
    expect(result.maxRefusals).toBeGreaterThan(1);
    expect(result.found).toEqual([]);
  }, 90_000);
});
