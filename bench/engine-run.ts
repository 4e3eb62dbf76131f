import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DEFAULT_CONCURRENCY } from "../src/config.js";
import { openDatabase } from "../src/db.js";
import { createFleetStore } from "../src/fleet/index.js";
import { type BetAggregate, createJobEngine, type JobEngine, type JobRow } from "../src/jobs/index.js";
import {
  loadBankrolls,
  MAX_BATCH_BETS,
  planBatch,
  registerFleetTasks,
  submitBatch,
  TASK,
} from "../src/jobs/tasks/index.js";
import { migrateLedger } from "../src/ledger/index.js";
import { silentLogger } from "../src/log.js";
import { createPurpleFleaClient } from "../src/purpleflea/index.js";
import type { PhaseInput, PhaseResult } from "./phase-types.js";
import type { BenchAgent } from "./plain-loop.js";
import { cpuMeter, mb, percentile, rssSampler } from "./stats.js";

const HUGE = 1_000_000_000_000;

/**
 * The same bets as durable jobs: a fresh SQLite file (WAL, synchronous=FULL), the real engine and tasks,
 * receipts committed to the ledger with each job's success. The engine caps a canvas at 1,000 members and a
 * planned batch at 500, so N bets go in as ⌈N/500⌉ chords submitted together.
 */
export async function runEngine(input: PhaseInput, agents: readonly BenchAgent[]): Promise<PhaseResult> {
  const dir = mkdtempSync(join(tmpdir(), "pf-bench-"));
  const db = openDatabase(join(dir, "bench.db"));
  migrateLedger(db);
  const fleet = createFleetStore(db, {
    limits: { maxBet: HUGE, maxBatch: HUGE, dailyLossLimit: HUGE, fleetDailyLossLimit: HUGE },
  });
  const client = createPurpleFleaClient({ urls: input.urls });
  const engine = createJobEngine({
    db,
    config: {
      concurrency: { ...DEFAULT_CONCURRENCY, casino: input.concurrency },
      resultTtlMs: 24 * 3_600_000,
      alertWebhookUrl: undefined,
    },
  });
  const deps = { db, client, engine, fleet, logger: silentLogger };
  registerFleetTasks(engine, deps, { rateLimits: false });
  for (const a of agents) fleet.addAgent({ agentId: a.agentId, apiKey: a.apiKey, source: "registered" });
  const bankrolls = await loadBankrolls(
    deps,
    agents.map((a) => a.agentId),
  );
  await engine.start();

  const sampler = rssSampler();
  const cpu = cpuMeter();
  const started = performance.now();
  const chords: JobRow[] = [];
  for (let first = 0; first < input.n; first += MAX_BATCH_BETS) {
    const plan = planBatch({
      bet: { game: "coin-flip", side: "heads" },
      count: Math.min(MAX_BATCH_BETS, input.n - first),
      amount: 10_000,
      agents: bankrolls,
      origin: "bench",
    });
    chords.push(submitBatch(deps, plan));
  }
  const done = await Promise.all(chords.map((c) => engine.wait(c.id, { timeoutMs: 30 * 60_000 })));
  const elapsedMs = performance.now() - started;
  const cpuMs = cpu.stop();
  const peak = sampler.stop();

  const members = chords.flatMap((c) => memberRows(engine, c.id));
  const ok = done.reduce((s, c) => s + ((c.result as BetAggregate | null)?.totalBets ?? 0), 0);
  await engine.stop();
  await client.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });

  const run = members.filter((m) => m.startedAt !== null && m.finishedAt !== null);
  const runMs = run.map((m) => (m.finishedAt as number) - (m.startedAt as number));
  const e2eMs = run.map((m) => (m.finishedAt as number) - m.createdAt);
  return {
    mode: "engine",
    n: input.n,
    ok,
    errors: input.n - ok,
    elapsedMs,
    betsPerSecond: (ok / elapsedMs) * 1000,
    latencyMs: { p50: percentile(runMs, 50), p99: percentile(runMs, 99) },
    endToEndMs: { p50: percentile(e2eMs, 50), p99: percentile(e2eMs, 99) },
    httpCalls: 0,
    cpuMs,
    peakRssMb: mb(peak),
    note: `${chords.length} chord(s) of ≤ ${MAX_BATCH_BETS}`,
  };
}

function memberRows(engine: JobEngine, chordId: string): JobRow[] {
  const rows: JobRow[] = [];
  let cursor: string | undefined;
  do {
    const page = engine.list({ canvasId: chordId, task: TASK.bet, limit: 500, ...(cursor ? { cursor } : {}) });
    rows.push(...page.jobs);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return rows;
}
