import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { DEFAULT_CONCURRENCY } from "../src/config.js";
import { createFleetStore } from "../src/fleet/index.js";
import { openKeyVault } from "../src/fleet/key-vault.js";
import { type BetAggregate, createJobEngine, type JobEngine, type JobRow } from "../src/jobs/index.js";
import { loadBankrolls, planBatch, registerFleetTasks, submitBatch, TASK } from "../src/jobs/tasks/index.js";
import { silentLogger } from "../src/log.js";
import { createPurpleFleaClient } from "../src/purpleflea/index.js";
import { openStorage } from "../src/storage/index.js";
import { callsInFlight, type PhaseInput, type PhaseResult } from "./phase-types.js";
import type { BenchAgent } from "./plain-loop.js";
import { cpuMeter, mb, percentile, rssSampler } from "./stats.js";

const HUGE = 1_000_000_000_000;

/**
 * The same bets as durable jobs: a fresh SQLite file (WAL, every commit synced before it is acted on, off the
 * event loop), the real engine and tasks, one
 * chord of N bets as the batch tools submit it — `casino.bet_batch` members of ≤ 20 bets, one `bets/batch` call
 * each — with every receipt committed to the ledger in its job's own transaction. The casino queue runs as many
 * calls at once as keep `concurrency` bets in flight, like the plain batch loop.
 */
export async function runEngine(input: PhaseInput, agents: readonly BenchAgent[]): Promise<PhaseResult> {
  const dir = mkdtempSync(join(tmpdir(), "pf-bench-"));
  const dbPath = join(dir, "bench.db");
  const storage = await openStorage(dbPath);
  const fleet = createFleetStore(
    storage,
    { limits: { maxBet: HUGE, maxBatch: HUGE, dailyLossLimit: HUGE, fleetDailyLossLimit: HUGE } },
    { vault: openKeyVault({ sqlitePath: dbPath }) },
  );
  const client = createPurpleFleaClient({ urls: input.urls });
  const calls = callsInFlight(input.concurrency);
  const engine = createJobEngine({
    storage,
    config: {
      concurrency: { ...DEFAULT_CONCURRENCY, casino: calls },
      resultTtlMs: 24 * 3_600_000,
      alertWebhookUrl: undefined,
    },
  });
  const deps = { storage, client, engine, fleet, logger: silentLogger };
  // the engine's throughput, not the ledger sync's paced lanes (which the real per-agent limit makes free)
  registerFleetTasks(engine, deps, { rateLimits: false, ledgerSync: false });
  for (const a of agents) await fleet.addAgent({ agentId: a.agentId, apiKey: a.apiKey, source: "registered" });
  const bankrolls = await loadBankrolls(
    deps,
    agents.map((a) => a.agentId),
  );
  await engine.start();

  const sampler = rssSampler();
  const cpu = cpuMeter();
  const started = performance.now();
  const chord = await submitChord(deps, input.n, bankrolls);
  const done = await engine.wait(chord.id, { timeoutMs: 30 * 60_000 });
  const elapsedMs = performance.now() - started;
  const cpuMs = cpu.stop();
  const peak = sampler.stop();

  const members = await memberRows(engine, chord.id);
  const ok = (done.result as BetAggregate | null)?.totalBets ?? 0;
  await engine.stop();
  await client.close();
  await storage.close();
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
    httpCalls: members.length,
    cpuMs,
    peakRssMb: mb(peak),
    note: `one chord of ${members.length} casino.bet_batch jobs, ${calls} in flight`,
  };
}

/**
 * Plans and submits the chord as the batch tools do, in a frame of its own: the plan (every bet's seed, 50,000 of
 * them in the largest run, ~8 MB) is garbage once submitted, as it is after a tool call, instead of staying alive
 * in runEngine's frame while the chord runs.
 */
async function submitChord(
  deps: Parameters<typeof submitBatch>[0],
  count: number,
  bankrolls: Awaited<ReturnType<typeof loadBankrolls>>,
): Promise<{ id: string }> {
  const plan = planBatch({
    bet: { game: "coin-flip", side: "heads" },
    count,
    amount: 10_000,
    agents: bankrolls,
    origin: "bench",
  });
  return submitBatch(deps, plan);
}

async function memberRows(engine: JobEngine, chordId: string): Promise<JobRow[]> {
  const rows: JobRow[] = [];
  let cursor: string | undefined;
  do {
    const page = await engine.list({
      canvasId: chordId,
      task: TASK.betBatch,
      limit: 500,
      ...(cursor ? { cursor } : {}),
    });
    rows.push(...page.jobs);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return rows;
}
